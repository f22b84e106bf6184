from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReservationsConfig(AppConfig):
    name = "reservations"
    verbose_name = _("Reservations")

    def ready(self):
        # Imported here, not at the top: modules that touch models load only once the apps are.
        from accounts import hooks as accounts_hooks
        from catalog import hooks as catalog_hooks
        from purchasing import hooks as purchasing_hooks
        from readers import hooks as readers_hooks
        from reservations import account_closing, admin, selectors, services, settlement

        settlement.connect_signals()

        accounts_hooks.active_reservations_locked.register(
            account_closing.active_reservations_locked
        )
        accounts_hooks.leave_every_queue.register(account_closing.leave_every_queue)
        accounts_hooks.active_reservations_count.register(
            selectors.customer_active_reservations_count
        )
        accounts_hooks.waiting_entries_count.register(selectors.customer_waiting_entries_count)

        catalog_hooks.settle_books.register(services.settle_due_reservations)
        catalog_hooks.settlement_horizon_keys.register(lambda: settlement.KEYS)
        catalog_hooks.nothing_due.register(settlement.nothing_due)
        catalog_hooks.book_units_added.register(services.book_units_added)
        catalog_hooks.book_withdrawn.register(services.book_withdrawn)
        catalog_hooks.book_in_use.register(selectors.book_is_in_use)
        catalog_hooks.popularity_since.register(selectors.book_popularity_since)
        catalog_hooks.books_reserved_since.register(selectors.books_reserved_since)
        catalog_hooks.book_page_sql.register(selectors.book_page_sql)
        catalog_hooks.book_admin_context.register(admin.book_admin_context)

        readers_hooks.has_borrowed.register(selectors.customer_has_borrowed)

        purchasing_hooks.active_loans.register(selectors.active_loans)
        purchasing_hooks.discounts_repay.register(services.discounts_repay)
