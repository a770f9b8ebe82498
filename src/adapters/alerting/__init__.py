"""Alert receivers: Alertmanager's v2 API and a plain JSON webhook."""
