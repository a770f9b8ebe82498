"""Traefik match rules → domains and paths (SPEC §1.3)."""

from __future__ import annotations

import pytest

from adapters.ingress_routes.traefik_rule import RuleError, host_regexp_literal, parse_rule


@pytest.mark.parametrize(
    ("rule", "hosts", "paths"),
    [
        ("Host(`shop.example.com`)", ("shop.example.com",), ("/",)),
        ("Host(`shop.example.com`) && PathPrefix(`/api`)", ("shop.example.com",), ("/api",)),
        ("Host(`a.example.com`) || Host(`b.example.com`)", ("a.example.com", "b.example.com"), ("/",)),
        ("Host(`a.example.com`, `b.example.com`)", ("a.example.com", "b.example.com"), ("/",)),
        ('Host("a.example.com") && Path("/exact")', ("a.example.com",), ("/exact",)),
        ("(Host(`A.Example.com`) && (PathPrefix(`/v1`) || PathPrefix(`/v2`)))", ("a.example.com",),
         ("/v1", "/v2")),
        ("PathPrefix(`/a`, `/b`) && Host(`x.io`)", ("x.io",), ("/a", "/b")),
        ("HostHeader(`legacy.example.com`)", ("legacy.example.com",), ("/",)),
        ("Host(`x.io`) && Headers(`X-Env`, `prod`) && Method(`GET`)", ("x.io",), ("/",)),
        ("Host(`x.io`) || Host(`x.io`)", ("x.io",), ("/",)),
        ("PathPrefix(`/only`)", (), ("/only",)),
        ("", (), ("/",)),
        ("HostRegexp(`{subdomain:[a-z]+}.example.com`)", ("example.com",), ("/",)),
        (r"HostRegexp(`^.+\.example\.com$`) && PathPrefix(`/x`)", ("example.com",), ("/x",)),
    ],
)
def test_hosts_and_paths(rule: str, hosts: tuple[str, ...], paths: tuple[str, ...]) -> None:
    targets = parse_rule(rule)
    assert (targets.hosts, targets.paths) == (hosts, paths)


@pytest.mark.parametrize(
    ("pattern", "literal"),
    [
        ("{subdomain:[a-z]+}.example.com", "example.com"),
        (r"^.+\.example\.com$", "example.com"),
        (r"^(www\.)?shop\.example\.org$", "shop.example.org"),
        ("{any:.*}", ""),
        ("api.{domain:[a-z]+}.com", "api"),
    ],
)
def test_host_regexp_literal(pattern: str, literal: str) -> None:
    assert host_regexp_literal(pattern) == literal


def test_regexp_with_a_parenthesis_inside_its_string_does_not_end_the_call() -> None:
    targets = parse_rule(r"HostRegexp(`^(www\.)?shop\.example\.org$`) && PathPrefix(`/p`)")
    assert targets == parse_rule("Host(`shop.example.org`) && PathPrefix(`/p`)")


@pytest.mark.parametrize("rule", ["Host(`open", "Host(`a.io`", "Host(a.io)"])
def test_unreadable_rules_raise(rule: str) -> None:
    with pytest.raises(RuleError):
        parse_rule(rule)
