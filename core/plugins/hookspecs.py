"""Hook specifications of the ``zhushida`` plugin contract (see docs/plugin-guide.md).

Three kinds, named by when the host calls them:

* start-up hooks register things once (models, routes, tasks, CLI commands, sandbox routes);
* per-request hooks contribute to one response (home widgets) and may return an awaitable, which
  the host awaits concurrently with the other plugins' under a per-plugin time budget;
* event hooks react to something that happened (start-up / shut-down of the app).

A plugin may implement any subset, and may accept fewer arguments than a spec names, so adding an
argument never breaks a plugin. Every implementation error is reported with the plugin's name.
"""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("zhushida")


# ---- start-up: register things ----------------------------------------------------------------


@hookspec
def zhushida_models() -> Any:
    """Return a :class:`ModelsSpec` (or a list of them) naming the plugin's Tortoise app.

    Called once when the database is configured. Each app has its own label, its own table
    prefix and its own migrations package, applied by ``zhushida db upgrade``.
    """


@hookspec
def zhushida_routes(settings: Any) -> Any:
    """Return a :class:`Routes` record of Litestar handlers/routers to mount.

    Called once while the app is assembled. A service plugin's routes are mounted under
    ``/plugins/{plugin name}``.
    """


@hookspec
def zhushida_sandbox_routes(settings: Any) -> Any:
    """Return Litestar handlers/routers that simulate an outside provider in the sandbox app.

    Mounted under ``/sandbox``. Only called when the sandbox is enabled.
    """


@hookspec
def zhushida_tasks() -> Any:
    """Return the task functions (decorated with :func:`core.tasks.task`) this plugin defines.

    Called at start-up of the app and of every worker, so that workers know every task.
    """


@hookspec
def zhushida_periodic_tasks(settings: Any) -> Any:
    """Return a list of :class:`PeriodicTask` to run on a schedule (Celery beat, or in process)."""


@hookspec
def zhushida_readiness_checks(settings: Any) -> Any:
    """Return a list of :class:`ReadinessCheck` that ``/readyz`` must pass."""


@hookspec
def zhushida_cli_commands() -> Any:
    """Return a list of click commands or groups to add to the ``zhushida`` CLI."""


@hookspec
def zhushida_seed_demo() -> Any:
    """Return an awaitable that seeds demo data for ``zhushida seed demo`` (idempotent)."""


# ---- events ------------------------------------------------------------------------------------


@hookspec
def zhushida_startup(app: Any) -> Any:
    """The app has started (database ready). May return an awaitable."""


@hookspec
def zhushida_shutdown(app: Any) -> Any:
    """The app is stopping. May return an awaitable."""


# ---- per request ------------------------------------------------------------------------------


@hookspec
def zhushida_home_widgets(user: Any, region: Any, channel: str) -> Any:
    """Return a :class:`Widget`, a list of them, or None — or an awaitable of that.

    Called for every home screen; the host awaits all plugins concurrently and drops the widget
    of a plugin that fails or exceeds its time budget.
    """


# ---- declarations of area-owned registries -----------------------------------------------------


@hookspec
def zhushida_certificate_types() -> Any:
    """Return the :class:`CertificateType` records (电子证照类型) this plugin issues, or a list.

    Called once when the certificate registry is first used. A type code declared by two plugins,
    or a declaration that fails its own checks (type code, issuer credit code, field names), is an
    error naming the plugin. Issue certificates of these types with ``core.certificates.api.issue``.
    """


@hookspec
def zhushida_payment_purposes() -> Any:
    """Return the :class:`PaymentPurpose` records (what citizens pay for: "case", "bundle",
    "card_topup", "delivery_fee"...) this plugin owns, or a list.

    ``describe(ref, payer_account_id)`` gives the server-side amount in fen, subject and payer
    (amounts never come from the client); ``on_paid(order)`` / ``on_refunded(order, refund)`` are
    called exactly once each. A kind declared by two plugins is an error naming both. Create
    orders with ``payments.api.create_order``; see docs/payments.md.
    """


@hookspec
def zhushida_payment_channels(settings: Any) -> Any:
    """Return objects implementing :class:`PaymentChannel` (prepay, query, close, refund, verify a
    notification, download the bill), or a list. The payments package contributes "wechatpay" and
    "alipay"; the citizen-card package the card wallet. A channel name declared twice is an error.
    """


# ---- data feeds (department records imported in bulk) -------------------------------------------


@hookspec
def zhushida_feeds() -> Any:
    """Return a :class:`FeedSpec` or a list of them: the department data feeds this plugin accepts.

    Called at start-up of the CLI, the app and every worker. ``zhushida feeds import PLUGIN FEED
    FILE`` (and the ``feeds.import`` task) stream a CSV or JSON-lines file through the spec's
    field parsers and upsert the accepted rows into the spec's model by its key.
    """


# ---- service catalogue and cases (core.catalogue, core.cases — docs/catalogue.md, docs/cases.md) ----


@hookspec
def zhushida_services() -> Any:
    """Return the :class:`ServiceItem` records (事项) this plugin implements, or one of them.

    Called once when the catalogue is built. Each item carries its national elements, form
    schema, materials, fee, time limits, delivery options and (optionally) its own
    :class:`Workflow`. An invalid item, or an implementation code another plugin already
    declared, fails the plugin with its name. Items are off everywhere until an operator enables
    them for a region and channel.
    """


@hookspec
def zhushida_bundles() -> Any:
    """Return the :class:`Bundle` records (一件事一次办) this plugin declares, or one of them.

    Called once after every plugin's services are known; a bundle names items by implementation
    code, possibly of other plugins. Its form is the items' fields merged by key (asked once).
    """


@hookspec
def zhushida_form_prefill(account_id: int, item: Any, keys: list[str]) -> Any:
    """Return ``{prefill key: value}`` for the keys this plugin knows (免填写), or an awaitable.

    ``keys`` are the ``FormField.prefill`` names of ``item``'s form (e.g. ``person.name``);
    answer only those you hold for citizen ``account_id`` and leave the others out. Called
    per request for every plugin concurrently under the per-plugin time budget; the first
    answer for a key wins in hook order.
    """


@hookspec
def zhushida_material_certificates(account_id: int, item: Any, material: Any) -> Any:
    """Return the citizen's :class:`CertificateRef` records that can replace ``material``'s upload
    (免提交), or an awaitable of that list.

    Called for every material with ``certificate_types`` when a form is prepared and when an
    application is submitted; a certificate the applicant names must be among the answers with
    ``valid=True``, otherwise the submission is refused (``cases.certificate_invalid``).
    """


@hookspec
def zhushida_case_event(event: Any) -> Any:
    """A case changed: ``event`` is a :class:`CaseEvent` (submitted, accepted, approved,
    delivered, warning, ...), broadcast once the transition's own transaction has ended. May
    return an awaitable. Use it to send messages, issue a certificate on approval, book a
    courier; a failure is logged and never undoes the transition (call ``core.cases.api`` to act
    back). When the transition ran inside a caller's transaction (a payment's ``on_paid``), the
    listeners run inside it too: their writes commit or roll back with it, and tasks they enqueue
    are sent only after it commits.
    """


@hookspec
def zhushida_case_charges(case: Any) -> Any:
    """Return the :class:`CaseCharge` records a case of one of this plugin's items owes besides
    its item's fixed fee (e.g. the deed tax of a transfer), a list, None — or an awaitable.

    Called (contract 1.2) for every open child case when the citizen pays a bundle
    (一件事一次办, one payment: the order keeps that quote) and again when the payment arrives: a
    charge still answered at the quoted amount is settled, one gone or changed is refunded from
    the payment (and collected anew by you). Answer only for your own items (``case.item_code``); leave out
    charges already paid. Raise an ``AppError`` while a charge cannot be determined yet (a party
    has not confirmed): the payment is refused with ``cases.bundle_charge_pending`` carrying your
    code. Each charge's ``settle`` runs inside the payment's transaction.
    """


# ---- express delivery (delivery — docs/delivery.md) ---------------------------------------------


@hookspec
def zhushida_courier_gateways(settings: Any) -> Any:
    """Return the :class:`CourierGateway` objects (one per courier, or a list) this plugin offers.

    Called once when the delivery package first needs its couriers. A gateway quotes a fee,
    creates an order (yielding the waybill number), cancels it, and verifies and parses the
    courier's signed tracking push; its ``code`` (e.g. ``ems``, ``sf``) must be unique across
    plugins and names the webhook URL ``/delivery/webhooks/{code}``.
    """


# ---- catalogue changes (owned by miniapp_bff, which caches the catalogue — docs/bff.md) ----------


@hookspec
def zhushida_catalogue_changed(codes: Any, region_code: Any, channel: Any) -> Any:
    """Operators changed what the catalogue offers: enablement of ``codes`` (item/bundle codes,
    or None for "anything") at ``region_code`` (or None) for ``channel`` (or None / "*").

    Broadcast (``host.broadcast``) by whoever commits such a change, after the commit. Caches of
    the catalogue drop their entries (the BFF's cache is shared by every app process through the
    store, so one broadcast in one process is enough). May return an awaitable.
    """


# ---- accounts (owned by core.identity — docs/identity.md) -----------------------------------------


@hookspec
def zhushida_account_merged(from_account_id: int, into_account_id: int) -> Any:
    """Two citizen accounts were found to be one person (a mini-program account linked the phone
    of an app account): ``from_account_id`` is being folded into ``into_account_id``.

    Called (contract 1.1) inside the merge's database transaction, before it commits: move every
    row the plugin keys by ``from_account_id`` to ``into_account_id`` (open any transaction of
    your own with ``core.db.transaction()``), resolving duplicates by the plugin's own rules. Raise
    an ``AppError`` to refuse a merge the plugin cannot resolve (e.g. two live citizen cards):
    the whole merge rolls back and the citizen sees that error. Any other exception also rolls it
    back (``identity.merge_failed``). Leave audit trails (who acted) as they are. May return an
    awaitable.
    """
