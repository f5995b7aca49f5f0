from __future__ import annotations

import factory

from layan.team.models import Role, Team, User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staf{n}")
    first_name = factory.Faker("first_name", locale="id_ID")
    last_name = factory.Faker("last_name", locale="id_ID")
    email = factory.LazyAttribute(lambda user: f"{user.username}@layan.test")
    role = Role.AGENT
    password = factory.django.Password("rahasia-sekali-123")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Tim {n}")

    @factory.post_generation
    def members(self, create: bool, extracted: list[User] | None, **kwargs: object) -> None:
        if create and extracted:
            self.members.add(*extracted)
