"""The knowledge base pages: SOPs and policies, searchable, versioned."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from layan.core.http import is_htmx
from layan.knowledge import services
from layan.knowledge.forms import ArticleForm
from layan.knowledge.queries import article_for, article_version, articles_for
from layan.team.auth import staff_user


@require_GET
def article_list(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    search = request.GET.get("q", "")[:200]
    context = {
        "articles": articles_for(user, search=search)[:200],
        "q": search,
        "can_edit": user.is_superuser or user.role in services.EDITORS,
    }
    template = "knowledge/list.html#rows" if is_htmx(request) else "knowledge/list.html"
    return render(request, template, context)


@require_GET
def article_detail(request: HttpRequest, slug: str) -> HttpResponse:
    user = staff_user(request)
    article = article_for(user, slug)
    number = request.GET.get("v", "")
    version = article_version(article, int(number) if number.isdigit() else None)
    context = {
        "article": article,
        "version": version,
        "versions": article.versions.order_by("-number"),
        "can_edit": user.is_superuser or user.role in services.EDITORS,
    }
    return render(request, "knowledge/detail.html", context)


def article_edit(request: HttpRequest, slug: str = "") -> HttpResponse:
    user = staff_user(request)
    article = article_for(user, slug) if slug else None
    initial = {}
    if article is not None and article.latest is not None:
        latest = article.latest
        initial = {
            "title_id": latest.title_id,
            "body_id": latest.body_id,
            "title_en": latest.title_en,
            "body_en": latest.body_en,
            "kind": article.kind,
            "visibility": article.visibility,
        }
    form = ArticleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if article is None:
                article = services.article_create(
                    actor=user,
                    title_id=data["title_id"],
                    body_id=data["body_id"],
                    title_en=data["title_en"],
                    body_en=data["body_en"],
                    kind=data["kind"],
                    visibility=data["visibility"],
                )
            else:
                services.article_revise(
                    article=article,
                    actor=user,
                    title_id=data["title_id"],
                    body_id=data["body_id"],
                    title_en=data["title_en"],
                    body_en=data["body_en"],
                    change_note=data["change_note"],
                )
        except (ValidationError, PermissionDenied) as error:
            form.add_error(None, " ".join(getattr(error, "messages", [str(error)])))
        else:
            messages.success(request, _("Article saved."))
            return redirect("knowledge:detail", slug=article.slug)
    status = 400 if request.method == "POST" else 200
    return render(request, "knowledge/edit.html", {"form": form, "article": article}, status=status)
