"""Reads of the knowledge base. Every member of staff reads every article."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from layan.knowledge.models import Article, ArticleVersion, CannedReply, Checklist
from layan.team.models import User


def articles_for(user: User, *, search: str = "") -> QuerySet[Article]:
    articles = Article.objects.filter(latest__isnull=False).select_related("latest")
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


def canned_replies_for(*, stage: str, category: str, fault: str) -> list[CannedReply]:
    """Replies that fit the moment, best first: exact stage, category and fault, then wider."""
    candidates = CannedReply.objects.filter(active=True).filter(
        Q(stage=stage) | Q(stage=""),
        Q(category=category) | Q(category=""),
        Q(fault=fault) | Q(fault=""),
    )

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
    return Checklist.objects.prefetch_related("items").filter(category=category).first()
