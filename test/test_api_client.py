"""ApiClient's generated helpers and the rest convenience methods."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import KEY, SECRET

import mparticle
from mparticle import ApiClient, Batch, Configuration
from mparticle.models import ApiResponse, ApiResponseErrors, GeoLocation
from mparticle.rest import ApiException, RESTClientObject
from mparticle.testing import LocalEventsServer


class _Body:
    def __init__(self, data: str) -> None:
        self.data = data


def test_defaults_and_user_agent() -> None:
    client = ApiClient(header_name="X-Team", header_value="data", cookie="c=1")
    assert client.default_headers == {
        "X-Team": "data",
        "User-Agent": "mParticle Python client/" + mparticle.__version__,
    }
    client.user_agent = "custom"
    client.set_default_header("X-Other", "1")
    assert client.default_headers["User-Agent"] == "custom" and client.default_headers["X-Other"] == "1"
    assert client.host == "https://s2s.mparticle.com/v2"
    client.host = "http://127.0.0.1:9/v2/"
    assert client.host == "http://127.0.0.1:9/v2"
    assert client.config.host == "https://s2s.mparticle.com/v2"


def test_static_helpers() -> None:
    assert ApiClient.validate_attribute_bag_values({"a": "b", "c": 5, "d": 3.14, "e": None, "f": True})
    assert not ApiClient.validate_attribute_bag_values({"a": [3.14]})
    assert not ApiClient.validate_attribute_bag_values(["not", "a", "dict"])
    assert ApiClient.validate_attribute_bag_values(None)
    assert ApiClient.sanitize_for_serialization((GeoLocation(1.5, 2.5), None)) == [
        {"latitude": 1.5, "longitude": 2.5},
        None,
    ]
    assert ApiClient.select_header_accept([]) is None
    assert ApiClient.select_header_accept(["text/html", "application/JSON"]) == "application/json"
    assert ApiClient.select_header_accept(["text/HTML", "text/plain"]) == "text/html, text/plain"
    assert ApiClient.select_header_content_type([]) == "application/json"
    assert ApiClient.select_header_content_type(["text/Plain"]) == "text/plain"
    assert ApiClient.select_header_content_type(["text/plain", "application/json"]) == "application/json"
    assert ApiClient.to_path_value([1, 2]) == "1,2" and ApiClient.to_path_value(3) == "3"


def test_prepare_post_parameters_reads_files(tmp_path: Path) -> None:
    path = tmp_path / "data.json"
    path.write_bytes(b"{}")
    params = ApiClient.prepare_post_parameters({"a": "1"}, {"file": str(path), "none": None})
    assert params == [("a", "1"), ("file", ("data.json", b"{}", "application/json"))]


def test_update_params_for_auth() -> None:
    client = ApiClient(configuration=Configuration(api_key="k", api_secret="s"))
    headers: dict = {}
    queries: list = []
    client.update_params_for_auth(headers, queries, ["basic", "missing"])
    assert headers == {"Authorization": "Basic azpz"} and queries == []
    client.config.auth_settings = lambda: {  # type: ignore[method-assign]
        "q": {"in": "query", "key": "token", "value": "t"},
        "bad": {"in": "cookie", "key": "x", "value": "v"},
    }
    client.update_params_for_auth(headers, queries, ["q"])
    assert queries == [("token", "t")]
    with pytest.raises(ValueError, match="Authentication token must be in `query` or `header`"):
        client.update_params_for_auth(headers, queries, ["bad"])


def test_deserialize() -> None:
    client = ApiClient()
    body = _Body('{"errors": [{"code": "BAD_REQUEST", "message": "no"}]}')
    response = client.deserialize(body, "ApiResponse")
    assert response == ApiResponse([ApiResponseErrors("BAD_REQUEST", "no")])
    assert client.deserialize(_Body('{"a": 1}'), "dict(str, int)") == {"a": 1}
    assert client.deserialize(_Body('{"a": 1}'), "dict") == {"a": 1}
    assert client.deserialize(_Body("[1, 2]"), "list[str]") == ["1", "2"]
    assert client.deserialize(_Body('"2023-05-03"'), "date") == datetime.date(2023, 5, 3)
    assert client.deserialize(_Body('"2023-05-03T10:58:16"'), "datetime") == datetime.datetime(2023, 5, 3, 10, 58, 16)
    assert client.deserialize(_Body("not json"), "str") == "not json"
    assert client.deserialize(_Body('"x"'), "int") == "x"
    assert client.deserialize(_Body('{"x": 1}'), "object") == {"x": 1}
    assert client.deserialize(_Body("null"), "ApiResponse") is None
    with pytest.raises(ApiException, match="Failed to parse `soon` into a date object"):
        client.deserialize(_Body('"soon"'), "date")


def test_call_api_path_query_cookie_and_deserialized_result(server: LocalEventsServer) -> None:
    client = ApiClient(cookie="session=1", configuration=Configuration(api_key=KEY, api_secret=SECRET, host=server.url))
    server.script(mparticle.testing.Fault(status=200, body=b'{"errors": []}'))
    data, status, headers = client.call_api(
        "/{kind}",
        "POST",
        path_params={"kind": "events"},
        query_params={"debug": "1"},
        header_params={"User-Agent": "per-call"},
        body={"environment": "development"},
        response_type="ApiResponse",
        auth_settings=["basic"],
    )
    assert (data, status) == (ApiResponse(errors=[]), 200)
    request = server.requests[0]
    assert request.path == "/v2/events?debug=1"
    assert request.headers["Cookie"] == "session=1" and request.headers["User-Agent"] == "per-call"
    assert client.last_response is not None and client.last_response.status == 200
    assert (
        client.call_api(
            "/events",
            "POST",
            body=b'{"environment":"development"}',
            auth_settings=["basic"],
            _return_http_data_only=True,
        )
        is None
    )


def test_rest_convenience_methods(server: LocalEventsServer) -> None:
    rest = RESTClientObject(config=Configuration(api_key=KEY, api_secret=SECRET, retries=None))
    url = server.url + "/events"
    auth = {"Authorization": Configuration(api_key=KEY, api_secret=SECRET).get_basic_auth_token()}
    assert rest.POST(url, headers=dict(auth), body={"environment": "development"}).status == 202
    for method in (rest.PUT, rest.PATCH, rest.DELETE, rest.OPTIONS):
        with pytest.raises(ApiException) as info:
            method(url, headers=dict(auth), body="{}")
        assert info.value.status == 405
    for method in (rest.GET, rest.HEAD):
        with pytest.raises(ApiException) as info:
            method(url, headers=dict(auth), query_params={"a": "1"})
        assert info.value.status == 405
    response = rest.POST(url, headers=dict(auth), body=b'{"environment":"production"}')
    assert response.getheader("content-length") == "0" and response.getheaders()["Content-Length"] == "0"
    rest.close()


def test_rest_sends_form_and_multipart_without_json(server: LocalEventsServer) -> None:
    rest = RESTClientObject(config=Configuration(retries=None))
    for content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        with pytest.raises(ApiException) as info:
            rest.POST(server.url + "/events", headers={"Content-Type": content_type}, post_params={"a": "1"})
        assert info.value.status == 401  # reached the server, which wants credentials first


def test_batch_model_with_every_setter_goes_through(api: Any, server: LocalEventsServer) -> None:
    batch = Batch()
    batch.environment = "production"
    batch.events = []
    assert api.upload_events(batch)[1] == 202
    assert server.requests[0].body == b'{"events":[],"environment":"production"}'
