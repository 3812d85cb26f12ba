"""Signed dumps: an HMAC under a shared key, verified on load, required when the setting says."""

from __future__ import annotations

import json

import pytest
from django.core import checks, serializers
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from tests.data_sync.conftest import dump_text, load_text, reseal, snapshot
from tests.data_sync.testapp.models import Category
from tidemark_data_sync import DatasetMismatch, SignatureError
from tidemark_data_sync.checks import check_settings_valid, check_signing_key_length

pytestmark = pytest.mark.django_db(databases=["default", "other"])

OLD = "old-key-4Vq8XrN2pL7mK9sT3wY6zB1cD5fG0hJ"
NEW = "new-key-8Hs2Lm5Qw9Er3Ty7Ui1Op4As6Df0Gh2Jk"


def keys(*names: str, required: bool = False) -> override_settings:
    return override_settings(
        TIDEMARK_DATA_SYNC_SIGNING_KEYS=list(names),
        TIDEMARK_DATA_SYNC_REQUIRE_SIGNATURE=required,
    )


@pytest.fixture
def catalog() -> None:
    Category.objects.create(name="Books", slug="books")
    Category.objects.using("other").create(pk=90, name="Stale", slug="stale")


def manifest_of(text: str) -> dict[str, object]:
    return dict(json.loads(text.partition("\n")[0]))


@pytest.mark.usefixtures("catalog")
def test_a_dump_is_signed_with_the_first_key_and_verified_on_load() -> None:
    with keys(NEW, OLD):
        text = dump_text("catalog")
        result = load_text(text)

    signature = manifest_of(text)["signature"]
    assert isinstance(signature, str)
    assert len(signature) == 64
    assert result.signature == "verified"
    assert result.render().startswith(
        "Dataset 'catalog' (signature verified) changed in database 'other':"
    )
    assert list(Category.objects.using("other").values_list("slug", flat=True)) == ["books"]


@pytest.mark.usefixtures("catalog")
def test_rotated_keys_verify_old_dumps_until_the_old_key_is_dropped() -> None:
    with keys(OLD):
        old_dump = dump_text("catalog")
    with keys(NEW, OLD):
        new_dump = dump_text("catalog")
        assert load_text(old_dump, plan=True).signature == "verified"
    before = snapshot()

    with keys(NEW), pytest.raises(SignatureError, match="matches none of the keys"):
        load_text(old_dump)
    with keys(OLD), pytest.raises(SignatureError, match="matches none of the keys"):
        load_text(new_dump)
    assert snapshot() == before
    with keys(NEW, required=True):
        assert load_text(new_dump).signature == "verified"


@pytest.mark.usefixtures("catalog")
def test_unsigned_dumps_load_unless_signatures_are_required() -> None:
    text = dump_text("catalog")
    assert "signature" not in manifest_of(text)
    before = snapshot()

    with (
        keys(NEW, required=True),
        pytest.raises(
            SignatureError,
            match=r"^The dump is not signed, and TIDEMARK_DATA_SYNC_REQUIRE_SIGNATURE is True",
        ),
    ):
        load_text(text)
    assert snapshot() == before
    with keys(NEW):
        assert load_text(text, plan=True).signature == "unsigned"
    assert load_text(text).signature == "unsigned"


@pytest.mark.usefixtures("catalog")
def test_a_wrong_or_resealed_signature_is_refused_even_when_not_required() -> None:
    with keys(NEW):
        text = dump_text("catalog")
    manifest = manifest_of(text)
    body = text.partition("\n")[2]
    assert isinstance(manifest["signature"], str)
    forged = {**manifest, "signature": "0" * 64}
    widened = {**manifest, "args": "books"}  # resealed by hand: the checksum matches again
    before = snapshot()

    with keys(NEW):
        for variant in (
            json.dumps(forged) + "\n" + body,
            json.dumps({**manifest, "signature": "not hex"}) + "\n" + body,
            reseal(widened, body),
        ):
            with pytest.raises(SignatureError, match="matches none of the keys"):
                load_text(variant)
        # Resealed and stripped of its signature, only the requirement catches it.
        stripped = {key: value for key, value in widened.items() if key != "signature"}
        with pytest.raises(DatasetMismatch, match="holds dataset catalog:books, not catalog"):
            load_text(reseal(stripped, body), dataset="catalog")
    with keys(NEW, required=True), pytest.raises(SignatureError, match="not signed"):
        load_text(reseal(stripped, body))
    assert snapshot() == before


@pytest.mark.usefixtures("catalog")
def test_a_signed_dump_where_no_key_is_set_is_loaded_unchecked() -> None:
    with keys(NEW):
        text = dump_text("catalog")

    result = load_text(text)

    assert result.signature == "not checked"
    assert "(signature not checked)" in result.render()


def test_a_feincms3_data_dump_is_refused_when_signatures_are_required() -> None:
    Category.objects.create(name="Books", slug="books")
    document = {
        "version": 1,
        "specs": [{"model": "testapp.category"}],
        "objects": json.loads(serializers.serialize("json", Category.objects.all())),
    }
    from tests.data_sync import datasets

    datasets.EXTRA["categories"] = {"specs": lambda args: [{"model": "testapp.category"}]}
    try:
        with keys(NEW, required=True), pytest.raises(SignatureError, match="not signed"):
            load_text(json.dumps(document) + "\n", dataset="categories")
    finally:
        datasets.EXTRA.clear()
    assert not Category.objects.using("other").exists()


@pytest.mark.parametrize(
    ("value", "shown"),
    [(NEW, "not a str."), ([NEW, ""], "not a list (every key must be a non-empty string)."),
     ([NEW, b"bytes"], "not a list (every key must be a non-empty string).")],
)  # fmt: skip
def test_e004_names_the_setting_and_what_it_takes_never_the_keys(value: object, shown: str) -> None:
    text = dump_text("catalog")
    with override_settings(TIDEMARK_DATA_SYNC_SIGNING_KEYS=value):
        [error] = check_settings_valid()
        assert check_signing_key_length() == []
        with pytest.raises(ImproperlyConfigured, match="TIDEMARK_DATA_SYNC_SIGNING_KEYS must be"):
            load_text(text)
    assert error.id == "tidemark_data_sync.E004"
    assert error.level == checks.ERROR
    assert error.msg == (
        "TIDEMARK_DATA_SYNC_SIGNING_KEYS must be a list of non-empty strings (the first signs, "
        f'each verifies), e.g. [os.environ["DATA_SYNC_KEY"]], {shown}'
    )
    assert NEW not in error.msg  # a key never ends up in a log
    assert NEW not in str(error.hint)


def test_w001_for_short_keys() -> None:
    with keys(NEW, "tiny-key"):
        [warning] = check_signing_key_length()
    assert (warning.id, warning.level) == ("tidemark_data_sync.W001", checks.WARNING)
    assert warning.msg.startswith("TIDEMARK_DATA_SYNC_SIGNING_KEYS: key number 2 has fewer")
    assert "tiny-key" not in warning.msg
    assert "secrets.token_urlsafe" in str(warning.hint)
    with keys(NEW):
        assert check_signing_key_length() == []


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("yes", "not 'yes'."),
        (True, "not True (TIDEMARK_DATA_SYNC_SIGNING_KEYS is empty: no dump could be verified)."),
    ],
)
def test_e005_names_the_setting_and_what_it_takes(value: object, message: str) -> None:
    text = dump_text("catalog")
    with override_settings(TIDEMARK_DATA_SYNC_REQUIRE_SIGNATURE=value):
        [error] = check_settings_valid()
        with pytest.raises(ImproperlyConfigured, match="TIDEMARK_DATA_SYNC_REQUIRE_SIGNATURE"):
            load_text(text)
    assert error.id == "tidemark_data_sync.E005"
    assert error.msg == (
        "TIDEMARK_DATA_SYNC_REQUIRE_SIGNATURE must be True (with a key in "
        f"TIDEMARK_DATA_SYNC_SIGNING_KEYS) or False, {message}"
    )
    assert str(error.hint).startswith("Set TIDEMARK_DATA_SYNC_REQUIRE_SIGNATURE to True")
