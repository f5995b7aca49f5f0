"""New model instances built without `Model.__init__`'s per-field work.

`Model(**values)` walks every field for every instance: it asks each absent field for its
default, pops each keyword up to twice, and sets each related object through its descriptor,
which consults the database router. For an entry of twenty-two fields that is about 16 µs,
and an import of 10,000 messages builds some 70,000 instances: about a tenth of the importing
process's time. `instance_build` does the same with what each model's fields say worked out
once (`_plan`). A test holds its instances equal to `Model(**values)`'s, field by field and
cache by cache, for every model of the project.

A model it cannot build faithfully that way (a field with a descriptor of its own, a parent
link, a receiver of `pre_init` or `post_init`), or a keyword it does not know, goes to
`Model(**values)` unchanged.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db import router
from django.db.models import Field, ForeignObject, ForeignObjectRel, Model
from django.db.models.base import ModelState
from django.db.models.fields.related_descriptors import (
    ForeignKeyDeferredAttribute,
    ForwardManyToOneDescriptor,
    ForwardOneToOneDescriptor,
)
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init, pre_init


@dataclass(frozen=True, slots=True)
class _Relation:
    attname: str
    field: ForeignObject[Any, Any]
    remote: ForeignObjectRel
    model: type[Model]  # what a related instance must be
    target: str  # the attribute of the related instance that the column holds
    one_to_one: bool


@dataclass(frozen=True, slots=True)
class _Plan:
    fixed: dict[str, Any]  # attname: the default every instance starts with
    made: tuple[tuple[str, str, Field[Any, Any]], ...]  # (name, attname, field): made anew
    plain: frozenset[str]  # attnames set as they are given
    relations: dict[str, _Relation]  # by field name: given as a related instance


def instance_build[M: Model](model: type[M], **values: Any) -> M:
    """Return `model(**values)`, unsaved, built with less work per field."""
    plan = _plan(model)
    if plan is None or pre_init.has_listeners(model) or post_init.has_listeners(model):
        return model(**values)
    relations = plan.relations
    plain = plan.plain
    for name in values:
        if name not in plain and name not in relations:
            return model(**values)  # a property, or a mistake Model reports as it should
    built = model.__new__(model)
    state = ModelState()
    held = built.__dict__
    held["_state"] = state
    held.update(plan.fixed)
    for name, attname, field in plan.made:
        if name not in values and attname not in values:
            held[attname] = field.get_default()
    for name, value in values.items():
        relation = relations.get(name)
        if relation is None:
            held[name] = value
            continue
        field = relation.field
        if value is None:
            held[relation.attname] = None
            field.set_cached_value(built, None)
            continue
        if not isinstance(value, relation.model) or relation.attname in values:
            return model(**values)  # a wrong instance's error, or both given: Model's way
        # As the relation's descriptor does: both sides learn their database, which the
        # router must allow.
        if state.db is None:
            state.db = router.db_for_write(model, instance=value)
        if value._state.db is None:
            value._state.db = router.db_for_write(type(value), instance=built)
        if not router.allow_relation(value, built):
            return model(**values)
        held[relation.attname] = getattr(value, relation.target)
        field.set_cached_value(built, value)
        if relation.one_to_one:
            relation.remote.set_cached_value(value, built)
    return built


@cache
def _plan(model: type[Model]) -> _Plan | None:
    """What building `model` takes, or None when only `Model.__init__` does it right."""
    meta = model._meta
    if meta.abstract or meta.parents:
        return None
    fixed: dict[str, Any] = {}
    made: list[tuple[str, str, Field[Any, Any]]] = []
    plain: set[str] = set()
    relations: dict[str, _Relation] = {}
    for field in meta.fields:
        if field.column is None or field.generated:
            return None
        # Only Django's own descriptors, whose work on a new instance is done below: one of
        # a field's own (files, say) must see every value.
        column = type(inspect.getattr_static(model, field.attname))
        if column is not (ForeignKeyDeferredAttribute if field.is_relation else DeferredAttribute):
            return None
        if field.is_relation:
            if not isinstance(field, ForeignObject) or len(field.related_fields) != 1:
                return None
            remote = field.remote_field
            one_to_one = not remote.multiple
            forward = ForwardOneToOneDescriptor if one_to_one else ForwardManyToOneDescriptor
            concrete = remote.model._meta.concrete_model
            if concrete is None or type(inspect.getattr_static(model, field.name)) is not forward:
                return None
            relations[field.name] = _Relation(
                attname=field.attname,
                field=field,
                remote=remote,
                model=concrete,
                target=field.related_fields[0][1].attname,
                one_to_one=one_to_one,
            )
        plain.add(field.attname)
        if field.has_default() and callable(field.default):
            made.append((field.name, field.attname, field))
        else:
            # The same every time: Model.__init__ too gives every instance this very object.
            fixed[field.attname] = field.get_default()
    return _Plan(fixed=fixed, made=tuple(made), plain=frozenset(plain), relations=relations)
