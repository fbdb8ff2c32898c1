from django.conf import settings
from django.utils import translation


class LanguageMiddleware:
    """Kehu speaks Chinese until someone chooses otherwise: the language comes from the choice
    saved in the language cookie (set by the switch and at login from the user's profile),
    never from the browser's Accept-Language, so a new install is zh-Hans for everyone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response
