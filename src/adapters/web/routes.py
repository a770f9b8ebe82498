"""The dashboard page and its static files (SPEC §7)."""

from fastapi import APIRouter

router = APIRouter()
