from django.apps import AppConfig


class AccountsConfig(AppConfig):
    # Its own app because AUTH_USER_MODEL must exist from the first migration and a person may belong to a
    # district (agreements) or a vendor (vendors): neither side's app is the natural home of the user.
    name = "accounts"
    verbose_name = "Accounts"
