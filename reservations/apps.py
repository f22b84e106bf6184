from django.apps import AppConfig


class ReservationsConfig(AppConfig):
    name = "reservations"
    verbose_name = "Reservations"

    def ready(self):
        # Imported once the apps are ready: these modules import models.
        from catalog import sql as catalog_sql
        from reservations import settlement

        settlement.connect_signals()
        catalog_sql.use_settlement_rules(settlement.book_page_rules)
