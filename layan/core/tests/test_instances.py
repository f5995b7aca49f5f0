"""Instances built by `instance_build` are the instances `Model(**values)` builds."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.db.models import Field, ForeignObject, Model
from django.db.models.signals import post_init

from layan.core import instances
from layan.core.instances import instance_build
from layan.core.models import Blob
from layan.customers.models import Contact
from layan.logbook.models import Entry

MODELS = sorted(
    (model for model in apps.get_models() if model.__module__.startswith("layan.")),
    key=lambda model: model._meta.label,
)
# Built by the thousand in an import or with every new ticket: they must take the short way.
BUSY = {
    "channels.InboundRecord",
    "core.Blob",
    "customers.Contact",
    "customers.Customer",
    "customers.Identity",
    "customers.Membership",
    "logbook.Chain",
    "logbook.Entry",
    "logbook.EntryAttachment",
    "tickets.Ticket",
    "tickets.Tone",
}


def _fields(model: type[Model]) -> list[Field[Any, Any]]:
    return [field for field in model._meta.fields if field.column and not field.generated]


def _related(field: ForeignObject[Any, Any], key: int) -> Model:
    """An instance of the model `field` points at, its target set to `key`."""
    related = field.remote_field.model()
    setattr(related, field.related_fields[0][1].attname, key)
    return related


def _state(instance: Model) -> tuple[object, bool]:
    return instance._state.db, instance._state.adding


def _values(instance: Model) -> dict[str, object]:
    return {name: value for name, value in instance.__dict__.items() if name != "_state"}


def _same(model: type[Model], make: Any) -> None:
    """Build `model` both ways from values `make()` gives (fresh related instances each
    time) and compare what each holds, and what the related instances were given."""
    given = make()
    expected = model(**given)
    built_from = make()
    built = instance_build(model, **built_from)
    made = {f.attname for f in _fields(model) if f.has_default() and callable(f.default)}
    assert _values(built).keys() == _values(expected).keys()
    for name, value in _values(expected).items():
        other = _values(built)[name]
        assert type(other) is type(value), (model, name)
        if name in made and name not in given:
            # Made anew for each instance (a time, a key, an empty dict): never shared.
            assert other is not value or value is None, (model, name)
        else:
            assert other == value, (model, name)
    # Caches: the same fields cached, each holding the value given under that name.
    assert _state(built) == _state(expected)
    assert built._state.fields_cache.keys() == expected._state.fields_cache.keys()
    for name, value in built._state.fields_cache.items():
        assert value is built_from.get(name), (model, name)
    for name, value in given.items():
        if isinstance(value, Model):
            related = built_from[name]
            assert related._state.db == value._state.db
            assert related._state.fields_cache.keys() == value._state.fields_cache.keys()


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label)
def test_every_model_is_built_as_its_constructor_builds_it(model: type[Model]) -> None:
    fields = _fields(model)
    relations = [f for f in fields if isinstance(f, ForeignObject)]
    plain = [f for f in fields if not isinstance(f, ForeignObject)]
    markers = {field.attname: f"value of {field.attname}" for field in plain}
    _same(model, dict)  # nothing given: every default
    _same(model, lambda: dict(markers))
    for number, field in enumerate(relations, start=1):
        _same(model, lambda f=field, n=number: {**markers, f.name: _related(f, n)})
        _same(model, lambda f=field, n=number: {f.attname: n})
        _same(model, lambda f=field: {f.name: None})
    _same(
        model,
        lambda: {**markers, **{f.name: _related(f, n) for n, f in enumerate(relations, 1)}},
    )


@pytest.mark.parametrize("label", sorted(BUSY))
def test_the_busiest_models_take_the_short_way(label: str) -> None:
    assert instances._plan(apps.get_model(label)) is not None


def test_a_mistake_is_reported_as_the_constructor_reports_it() -> None:
    with pytest.raises(TypeError, match="unexpected keyword arguments: 'colour'"):
        instance_build(Contact, name="Rina", colour="biru")
    with pytest.raises(ValueError, match='must be a "Contact" instance'):
        instance_build(Entry, actor_contact=Blob(sha256="ab" * 32, size=1))


def test_a_receiver_of_the_constructors_signal_is_not_passed_by() -> None:
    seen: list[Model] = []

    def receiver(sender: type[Model], instance: Model, **kwargs: object) -> None:
        seen.append(instance)

    post_init.connect(receiver, sender=Contact)
    try:
        built = instance_build(Contact, name="Rina")
    finally:
        post_init.disconnect(receiver, sender=Contact)
    assert seen == [built]
    assert built.name == "Rina" and built.pk is None
