from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from layan.team.models import ApiToken, User
from layan.team.tokens import token_create, token_revoke


class Command(BaseCommand):
    help = "Create, list or revoke API tokens."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Make a token for a user; it is printed once.")
        create.add_argument("username")
        create.add_argument("--name", default="api")
        sub.add_parser("list", help="List tokens (never their keys).")
        revoke = sub.add_parser("revoke", help="Revoke a token by its id.")
        revoke.add_argument("token_id", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "create":
            user = User.objects.filter(username=options["username"]).first()
            if user is None:
                raise CommandError(f"No user {options['username']}.")
            token, key = token_create(user=user, name=options["name"])
            self.stdout.write(key)
            self.stderr.write(f"Token {token.pk} for {user.username}; the key is not stored.")
        elif options["action"] == "list":
            for token in ApiToken.objects.select_related("user").order_by("pk"):
                state = "revoked" if token.revoked_at else "active"
                self.stdout.write(
                    f"{token.pk}\t{token.user.username}\t{token.name}\t{token.prefix}…\t{state}"
                )
        else:
            found = ApiToken.objects.filter(pk=options["token_id"]).first()
            if found is None:
                raise CommandError(f"No token {options['token_id']}.")
            token_revoke(token=found)
            self.stdout.write(f"Token {found.pk} revoked.")
