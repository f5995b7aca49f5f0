"""Writes on the knowledge base: articles grow new versions, never change old ones."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.text import slugify
from django.utils.translation import gettext as _

from layan.core import clock
from layan.knowledge.models import Article, ArticleVersion
from layan.team.models import Role, User

EDITORS = (Role.ADMIN, Role.MANAGER, Role.ACCOUNT_MANAGER)


def _require_editor(actor: User | None) -> None:
    if actor is not None and not (actor.is_superuser or actor.role in EDITORS):
        raise PermissionDenied(_("Only account managers, managers and admins write SOPs."))


def article_create(
    *,
    actor: User | None,
    title_id: str,
    body_id: str,
    title_en: str = "",
    body_en: str = "",
    slug: str = "",
    kind: str = Article.Kind.SOP,
    visibility: str = Article.Visibility.INTERNAL,
) -> Article:
    """Create an article with its first version."""
    _require_editor(actor)
    slug = slugify(slug or title_id)[:80]
    if not slug or not title_id.strip() or not body_id.strip():
        raise ValidationError(_("An article needs an Indonesian title and text."))
    if Article.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": _("Another article already uses this short name.")})
    with transaction.atomic():
        article = Article.objects.create(
            slug=slug, kind=kind, visibility=visibility, created_at=clock.now()
        )
        article_revise(
            article=article,
            actor=actor,
            title_id=title_id,
            body_id=body_id,
            title_en=title_en,
            body_en=body_en,
            change_note=_("First version"),
        )
    article.refresh_from_db()
    return article


def article_revise(
    *,
    article: Article,
    actor: User | None,
    title_id: str,
    body_id: str,
    title_en: str = "",
    body_en: str = "",
    change_note: str = "",
) -> ArticleVersion:
    """Add a version; earlier versions stay as they were, so citations keep their meaning."""
    _require_editor(actor)
    if not title_id.strip() or not body_id.strip():
        raise ValidationError(_("An article needs an Indonesian title and text."))
    with transaction.atomic():
        locked = Article.objects.select_for_update().get(pk=article.pk)
        number = (locked.versions.aggregate(top=Max("number"))["top"] or 0) + 1
        version = ArticleVersion.objects.create(
            article=locked,
            number=number,
            title_id=title_id.strip(),
            body_id=body_id.strip(),
            title_en=title_en.strip(),
            body_en=body_en.strip(),
            change_note=change_note.strip()[:300],
            created_at=clock.now(),
            created_by=actor,
        )
        Article.objects.filter(pk=locked.pk).update(latest=version)
    return version
