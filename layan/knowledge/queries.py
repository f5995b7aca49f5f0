"""Reads of the knowledge base. Every member of staff reads every article."""

from __future__ import annotations

from django.db.models import Q, QuerySet, prefetch_related_objects
from django.http import Http404

from layan.core.reads import PreparedRead
from layan.knowledge.models import Article, ArticleVersion, CannedReply, Checklist
from layan.team.models import User


def _published() -> QuerySet[Article]:
    return Article.objects.filter(latest__isnull=False).select_related("latest")


def articles_for(user: User, *, search: str = "") -> QuerySet[Article]:
    articles = _published()
    if not user.is_active:
        return articles.none()
    term = " ".join(search.split())[:200]
    if term:
        articles = articles.filter(
            Q(slug__icontains=term)
            | Q(latest__title_id__icontains=term)
            | Q(latest__body_id__icontains=term)
            | Q(latest__title_en__icontains=term)
            | Q(latest__body_en__icontains=term)
        )
    return articles.order_by("slug")


def article_for(user: User, slug: str) -> Article:
    article = articles_for(user).filter(slug=slug).first()
    if article is None:
        raise Http404("No such article")
    return article


def article_version(article: Article, number: int | None) -> ArticleVersion:
    if number is None:
        assert article.latest is not None
        return article.latest
    version = article.versions.filter(number=number).first()
    if version is None:
        raise Http404("No such version")
    return version


# A ticket page's panel asks these three on every view: built once (see `layan.core.reads`).
_canned_candidates = PreparedRead(
    lambda stage, category, fault: CannedReply.objects.filter(active=True).filter(
        Q(stage=stage) | Q(stage=""),
        Q(category=category) | Q(category=""),
        Q(fault=fault) | Q(fault=""),
    ),
    stage=str,
    category=str,
    fault=str,
)
_checklist = PreparedRead(
    lambda category: Checklist.objects.filter(category=category).order_by("pk"),
    category=str,
)
PANEL_ARTICLES = 100
_panel_articles = PreparedRead(lambda: _published().order_by("slug")[:PANEL_ARTICLES])


def canned_replies_for(*, stage: str, category: str, fault: str) -> list[CannedReply]:
    """Replies that fit the moment, best first: exact stage, category and fault, then wider."""
    # A ticket's fields may hold their choices' enum members; the statement takes plain text.
    stage, category, fault = str(stage), str(category), str(fault)
    candidates = _canned_candidates.all(stage=stage, category=category, fault=fault)

    def fit(reply: CannedReply) -> tuple[int, str]:
        return (
            -(
                2 * (reply.stage == stage)
                + (reply.category == category)
                + 2 * (bool(fault) and reply.fault == fault)
            ),
            reply.title,
        )

    return sorted(candidates, key=fit)


def checklist_for(category: str) -> Checklist | None:
    """The checklist of a category, its items read with it."""
    checklist = _checklist.first(category=str(category))
    if checklist is not None:
        prefetch_related_objects([checklist], "items")
    return checklist


def panel_articles(user: User) -> list[Article]:
    """The first `PANEL_ARTICLES` articles by slug, as `articles_for(user)` orders them, for a
    ticket page."""
    return _panel_articles.all() if user.is_active else []
