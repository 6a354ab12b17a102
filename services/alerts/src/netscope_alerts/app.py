"""Assembly of the alerts service: store, schema, domain modules, servicer and the policy loop."""

from __future__ import annotations

import asyncio
import contextlib

from netscope_alerts.alerts import AlertRepository
from netscope_alerts.audit import AuditLog
from netscope_alerts.exclusions import ExclusionStore
from netscope_alerts.expected import ExpectedServers
from netscope_alerts.policies import PolicyEngine
from netscope_alerts.schema import ensure_schema
from netscope_alerts.servicer import AlertsServicer
from netscope_alerts.settings import AlertsSettings
from netscope_alerts.store import READS_ONLY, Store
from netscope_common.deadline import time_left
from netscope_common.logs import get_logger

log = get_logger("netscope.alerts")


class AlertsApp:
    """Everything the service runs, with startup/shutdown hooks for the service kit."""

    def __init__(self, settings: AlertsSettings) -> None:
        self.settings = settings
        self.store = Store(
            settings.dsn,
            writer_dsn=settings.writer_dsn,
            database=settings.database,
            query_timeout_seconds=settings.query_timeout_seconds,
        )
        self.exclusions = ExclusionStore(self.store)
        self.alerts = AlertRepository(self.store, self.exclusions)
        self.policies = PolicyEngine(self.store, self.alerts)
        self.expected = ExpectedServers(self.store, self.alerts)
        self.audit = AuditLog(self.store)
        self.ntopng = settings.ntopng_client(time_left=time_left) if settings.ntopng_host.strip() else None
        self.servicer = AlertsServicer(
            self.alerts, self.exclusions, self.policies, self.expected, self.audit, self.ntopng
        )
        self._loop_task: asyncio.Task[None] | None = None

    async def startup(self) -> None:
        """Open the store, create missing tables and start the policy loop."""
        if self.settings.clickhouse_port_note:
            log.warning("clickhouse_native_port", detail=self.settings.clickhouse_port_note)
        await self.store.open()
        if not self.store.can_write:
            log.info("reads_only", detail=READS_ONLY)
            return
        await ensure_schema(self.store)
        if self.settings.policy_interval_seconds > 0:
            self._loop_task = asyncio.create_task(self._policy_loop())

    def serving_detail(self) -> str:
        """What health answers say beside SERVING: reads only without a writer."""
        return "" if self.store.can_write else READS_ONLY

    async def shutdown(self) -> None:
        """Stop the policy loop and close clients."""
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
        if self.ntopng is not None:
            await self.ntopng.aclose()
        await self.store.close()

    async def health_check(self) -> None:
        """Raise when the store does not answer."""
        await self.store.ping()

    async def _policy_loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.policy_interval_seconds)
            try:
                results = await self.policies.evaluate_enabled()
                if results:
                    log.info("policies_evaluated", results=results)
            except Exception:
                log.exception("policy_evaluation_failed")
