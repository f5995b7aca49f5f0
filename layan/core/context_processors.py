from django.conf import settings
from django.http import HttpRequest


def layan(request: HttpRequest) -> dict[str, object]:
    """Expose the few settings every page needs."""
    return {"site_name": settings.LAYAN_SITE_NAME}
