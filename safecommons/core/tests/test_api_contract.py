"""The published API contract: a valid OpenAPI document that says, for every operation, how to authenticate,
and documentation pages that load nothing from other hosts."""

import re
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


@pytest.fixture
def spec():
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def operations(spec):
    """(method, path, operation) for every operation of the document."""
    return [
        (method, path, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]


def test_the_openapi_document_is_valid(spec):
    validate(spec)  # raises on any violation of the OpenAPI specification
    assert operations(spec), "the document lists no operation at all"


def test_every_operation_declares_its_security(spec):
    undeclared = [f"{method.upper()} {path}" for method, path, op in operations(spec)
                  if not isinstance(op.get("security"), list)]
    assert undeclared == []


def test_every_scheme_an_operation_names_is_declared_in_the_components(spec):
    declared = set(spec.get("components", {}).get("securitySchemes", {}))
    used = {name for _, _, op in operations(spec) for requirement in op["security"] for name in requirement}
    assert used, "no operation names a security scheme"
    assert used <= declared, f"undeclared schemes: {sorted(used - declared)}"


def test_no_operation_repeats_a_security_requirement(spec):
    repeated = {}
    for method, path, op in operations(spec):
        requirements = [tuple(sorted(r)) for r in op["security"]]
        if len(requirements) != len(set(requirements)):
            repeated[f"{method.upper()} {path}"] = op["security"]
    assert repeated == {}


def test_the_declared_security_matches_what_an_anonymous_caller_gets(spec):
    """An operation listing only schemes refuses anonymous callers (401); `[]` or `{}` lets them through."""
    client = Client()
    mismatches = []
    for method, path, op in operations(spec):
        answers_anonymously = op["security"] == [] or {} in op["security"]
        url = re.sub(r"\{[^}]+\}", "1", path)
        status = getattr(client, method)(url).status_code
        if answers_anonymously == (status == 401):
            mismatches.append(f"{method.upper()} {path}: security={op['security']}, anonymous got {status}")
    assert mismatches == []


class AssetCollector(HTMLParser):
    """The addresses a page makes the browser fetch: script src and link href."""

    def __init__(self):
        super().__init__()
        self.assets: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and attributes.get("src"):
            self.assets.append(attributes["src"])
        if tag == "link" and attributes.get("href"):
            self.assets.append(attributes["href"])


def test_the_api_docs_render_from_our_own_static_files_only():
    response = Client().get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    collector = AssetCollector()
    collector.feed(html)
    assert collector.assets, "the docs page loads no script or stylesheet"
    static_prefix = "/" + settings.STATIC_URL.lstrip("/")
    for asset in collector.assets:
        assert not asset.startswith(("http://", "https://", "//")), f"{asset} is fetched from another host"
        assert asset.startswith(static_prefix), f"{asset} is not one of our static files"
        assert finders.find(asset.removeprefix(static_prefix)), f"{asset} is not shipped with the application"
    assert not re.search(r"<(script|link)[^>]+(src|href)=[\"']?(https?:)?//", html)
    assert "'self'" in response["Content-Security-Policy"]
