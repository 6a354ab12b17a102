"""Aggregator settings (`NETSCOPE_AGGREGATOR_*`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class AggregatorSettings(BaseSettings):
    """Where the services are, who may call, and the limits of the HTTP transport (a `.env` file in the working
    directory is read too, as by every service; the environment wins)."""

    model_config = SettingsConfigDict(
        env_prefix="NETSCOPE_AGGREGATOR_",
        extra="ignore",
        populate_by_name=True,
        env_file=".env",
        env_file_encoding="utf-8",
    )

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    flows_target: str = "127.0.0.1:50051"
    alerts_target: str = "127.0.0.1:50052"
    snmp_target: str = "127.0.0.1:50053"
    live_target: str = "127.0.0.1:50054"
    snmp_shard_targets: str = Field(
        "",
        description="comma-separated snmp replicas in shard order (replica i runs NETSCOPE_SNMP_SHARD_INDEX=i); "
        "empty = snmp_target alone",
    )
    tokens: SecretStr = Field(
        SecretStr(""),
        description="comma-separated name:role:token triples, e.g. 'alice:read:s3cret,ops:admin:t0ken'",
        validation_alias=AliasChoices("NETSCOPE_AGGREGATOR_TOKENS", "NETSCOPE_TOKENS"),
    )
    tokens_file: Path | None = Field(None, description="YAML/JSON file (a mounted secret) of {name, role, token}")
    confirm_secret: SecretStr = Field(
        SecretStr(""), description="key signing confirmation ids; set the same value on every replica (random if empty)"
    )
    confirm_state_dir: Path | None = Field(
        None,
        description="directory where the worker processes record consumed confirm_ids (set by the parent process "
        "when workers > 1)",
    )
    stdio_role: str = Field("read", description="role of the local user on the stdio transport")
    toolsets: str = Field("all", description="comma-separated toolsets to serve, or 'all'")
    read_only: bool = Field(False, description="serve read-only tools only, whatever the token's role")
    call_timeout_seconds: float = Field(30.0, gt=0, le=600, description="deadline of one service call")
    stateless_http: bool = Field(
        False,
        description="no MCP sessions: any replica answers any request (use with several replicas behind one "
        "Service); writes then confirm with a confirm_id, since elicitation needs a session",
    )
    json_response: bool = Field(
        False,
        description="answer each POST with one JSON body instead of an SSE stream (less CPU per call; "
        "no elicitation, so writes confirm with a confirm_id)",
    )
    workers: int = Field(
        1,
        ge=1,
        le=64,
        description="worker processes serving one port (needs stateless_http when > 1: an MCP session lives in "
        "one process)",
    )
    allowed_hosts: str = Field(
        "127.0.0.1:*,localhost:*,[::1]:*",
        description="Host header patterns accepted on HTTP (DNS-rebinding protection); '*' disables the check",
    )
    allowed_origins: str = Field("", description="Origin patterns accepted on HTTP; empty = no browser origins")
    max_body_bytes: int = Field(1024 * 1024, ge=1024, description="largest accepted HTTP request body")
    max_answer_bytes: int = Field(
        256 * 1024,
        ge=4096,
        le=16 * 1024 * 1024,
        description="largest tool answer on the wire; longer answers lose rows and say truncated=true (the official "
        "MCP client breaks on events over 1 MiB)",
    )
    rate_limit_per_minute: int = Field(600, ge=1, description="tool calls per token per minute")
    log_level: str = "INFO"
    log_format: str = "json"
