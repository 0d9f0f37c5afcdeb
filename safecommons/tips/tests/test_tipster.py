"""The tipster's side: send a tip by form and API, keep the receipt, come back, reply, claim a reward."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from safecommons.core.permissions import actor_for_user
from safecommons.core.roles import Role
from safecommons.places.tests.factories import AreaFactory
from safecommons.tips import credentials, services
from safecommons.tips.models import Category, Status, Tip, TipMessage
from safecommons.tips.tests.factories import PASSPHRASE, TipFactory

pytestmark = pytest.mark.django_db

FORM = {
    "category": Category.DRUGS, "description": "Cars stop at the blue house on Oak St for two minutes at a time.",
    "location_kind": "address", "location_text": "120 Oak St", "occurred_text": "most evenings",
    "vehicles_seen": "Silver sedan ABC1234",
}


@pytest.fixture
def area(agency):
    return AreaFactory(agency=agency, name="West End", lon=-93.30, lat=44.90)


def submit(client: Client, **overrides):
    return client.post(reverse("tips:new"), {**FORM, **overrides})


def receipt_of(response) -> tuple[str, str]:
    receipt = response.context["receipt"]
    return receipt.code, receipt.passphrase


def test_the_form_says_call_911_first_and_works_without_javascript(client, agency):
    page = client.get(reverse("tips:new")).content.decode()
    assert page.index("In an emergency, call 911.") < page.index("<form")
    assert 'method="post"' in page and 'name="location_text"' in page


def test_tip_pages_may_load_nothing_from_other_hosts(client, agency):
    for url in (reverse("tips:new"), reverse("tips:follow_up")):
        policy = client.get(url)["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "connect-src 'self'" in policy and "http" not in policy


def test_a_large_photo_leaves_no_temporary_file_behind(client, agency, settings, tmp_path):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024  # force the upload onto disk
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(uploads)
    big = SimpleUploadedFile("big.jpg", jpeg_with_gps() + b"\0" * 4096, content_type="image/jpeg")
    refused = SimpleUploadedFile("x.jpg", b"MZ" + b"\0" * 4096, content_type="image/jpeg")
    assert client.post(reverse("tips:new"), {**FORM, "files": [big]}).status_code == 201
    assert client.post(reverse("tips:new"), {**FORM, "files": [refused]}).status_code == 400
    assert client.post(reverse("tips:new"), {**FORM, "description": "", "files": [big]}).status_code == 400
    assert list(uploads.iterdir()) == []


def test_the_form_is_in_spanish_when_asked(client, agency):
    page = client.get(reverse("tips:new") + "?lang=es").content.decode()
    assert "En una emergencia, llame al 911." in page


def test_a_tip_sent_by_the_form_gives_a_receipt_shown_once(client, agency, area):
    response = submit(client)
    assert response.status_code == 201
    code, passphrase = receipt_of(response)
    assert code in response.content.decode() and passphrase in response.content.decode()
    assert "There is no way to recover them." in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    tip = Tip.objects.get()
    assert tip.code_digest == credentials.code_digest(code) and code not in tip.code_digest
    assert tip.passphrase_hash.startswith("$argon2id$") and passphrase not in tip.passphrase_hash
    assert tip.category == Category.DRUGS and tip.status == Status.NEW
    assert not tip.contact_opt_in and tip.contact_phone == ""


def test_codes_carry_at_least_128_bits():
    code = credentials.code_normalize(credentials.code_new())
    assert len(code) * 5 >= 128
    assert len({credentials.code_new() for _ in range(1000)}) == 1000


def test_a_bad_tip_is_refused_with_the_reason_and_keeps_what_was_typed(client, agency):
    response = submit(client, description="short")
    assert response.status_code == 400
    assert "at least 10 characters" in response.content.decode()
    assert "120 Oak St" in response.content.decode()  # nothing typed is lost
    assert not Tip.objects.exists()


def test_contact_details_are_kept_only_when_the_tipster_chooses(client, agency):
    submit(client)
    submit(client, contact_opt_in="on", contact_name="Pat", contact_phone="555-0199")
    anonymous, identified = Tip.objects.order_by("created_at")
    assert (anonymous.contact_opt_in, anonymous.contact_phone) == (False, "")
    assert (identified.contact_opt_in, identified.contact_phone) == (True, "555-0199")
    # The service keeps nothing it was given without the choice (API callers included).
    receipt = services.tip_submit(data=services.TipInput(category="other", description="Ten characters at least.",
                                                         contact_phone="555-0100"), client_key="k")
    assert receipt.tip.contact_phone == ""


def test_the_api_takes_a_tip_and_answers_with_the_receipt(client, agency):
    response = client.post("/api/tips", {"category": "cyber", "description": "A site sells stolen card numbers."},
                           content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    tip = services.tip_unlock(code=body["code"], passphrase=body["passphrase"], client_key="k")
    assert tip.category == Category.CYBER


def test_the_api_refuses_an_unknown_category(client, agency):
    response = client.post("/api/tips", {"category": "aliens", "description": "Lights in the sky over the park."},
                           content_type="application/json")
    assert response.status_code == 422
    assert not Tip.objects.exists()


def test_the_tipster_comes_back_reads_replies_and_answers_a_question(client, agency, people):
    code, passphrase = receipt_of(submit(client))
    tip = Tip.objects.get()
    staff = actor_for_user(people[Role.ANALYST])
    services.tip_message_send(actor=staff, tip=tip, body="Thank you. We are looking into it.")
    question = services.tip_message_send(actor=staff, tip=tip, body="What colour is the house door?", is_question=True)

    page = client.post(reverse("tips:follow_up"), {"code": code, "passphrase": passphrase})
    assert page.status_code == 200
    assert "We are looking into it." in page.content.decode()
    access = page.context["access"]

    answer = client.post(reverse("tips:follow_up_reply"), {"access": access, "body": "Red.", "answers": question.pk})
    assert answer.status_code == 201
    reply = TipMessage.objects.get(direction=TipMessage.Direction.FROM_TIPSTER)
    assert (reply.body, reply.answers) == ("Red.", question)
    assert answer.context["view"].open_questions == []


def test_codes_are_read_generously(client, agency):
    code, passphrase = receipt_of(submit(client))
    sloppy = code.lower().replace("-", " ").replace("0", "o")
    assert services.tip_unlock(code=sloppy, passphrase=passphrase.upper(), client_key="k")


def test_a_wrong_passphrase_and_an_unknown_code_get_the_same_answer(client, agency):
    real, made_up = credentials.code_new(), credentials.code_new()
    TipFactory(agency=agency, code=real)
    wrong = client.post(reverse("tips:follow_up"), {"code": real, "passphrase": "not-it"})
    unknown = client.post(reverse("tips:follow_up"), {"code": made_up, "passphrase": "not-it"})
    assert wrong.status_code == unknown.status_code == 400
    assert wrong.content.replace(real.encode(), b"CODE") == unknown.content.replace(made_up.encode(), b"CODE")
    api_wrong = client.post("/api/tips/follow-up", {"code": real, "passphrase": "x"}, content_type="application/json")
    api_unknown = client.post("/api/tips/follow-up", {"code": made_up, "passphrase": "x"},
                              content_type="application/json")
    assert (api_wrong.status_code, api_wrong.content) == (api_unknown.status_code, api_unknown.content)


def test_passphrase_guessing_is_throttled(client, agency, settings):
    code = credentials.code_new()
    TipFactory(agency=agency, code=code)
    statuses = [client.post(reverse("tips:follow_up"), {"code": code, "passphrase": f"guess-{i}"}).status_code
                for i in range(settings.TIP_FOLLOW_UP_FAILURES + 1)]
    assert statuses[:-1] == [400] * settings.TIP_FOLLOW_UP_FAILURES and statuses[-1] == 429
    # Even the right passphrase waits now, so guessing cannot be finished off.
    right = client.post(reverse("tips:follow_up"), {"code": code, "passphrase": PASSPHRASE})
    assert right.status_code == 429


def test_an_unknown_code_is_throttled_exactly_like_a_real_one(client, agency, settings):
    code = credentials.code_new()
    statuses = [client.post(reverse("tips:follow_up"), {"code": code, "passphrase": "x"}).status_code
                for i in range(settings.TIP_FOLLOW_UP_FAILURES + 1)]
    assert statuses[-1] == 429


def test_the_api_follow_up_is_throttled_with_429(client, agency, settings):
    code = credentials.code_new()
    TipFactory(agency=agency, code=code)
    for _ in range(settings.TIP_FOLLOW_UP_FAILURES):
        client.post("/api/tips/follow-up", {"code": code, "passphrase": "x"}, content_type="application/json")
    response = client.post("/api/tips/follow-up", {"code": code, "passphrase": PASSPHRASE},
                           content_type="application/json")
    assert response.status_code == 429


def test_too_many_tips_from_one_connection_are_held_back(client, agency, settings):
    settings.TIP_SUBMISSIONS_PER_HOUR = 2
    assert [submit(client).status_code for _ in range(3)] == [201, 201, 429]
    assert Tip.objects.count() == 2


def test_an_expired_page_token_asks_for_the_code_again(client, agency):
    response = client.post(reverse("tips:follow_up_reply"), {"access": "forged", "body": "hello"})
    assert response.status_code == 400
    assert "Enter your code and passphrase again" in response.content.decode()
    assert not TipMessage.objects.exists()


def test_the_tipster_claims_a_reward_and_staff_pay_it_once(client, agency, people):
    code, passphrase = receipt_of(submit(client))
    tip = Tip.objects.get()
    services.tip_reward_set(actor=actor_for_user(people[Role.SUPERVISOR]), tip=tip, amount=Decimal("500"))
    page = client.post(reverse("tips:follow_up"), {"code": code, "passphrase": passphrase})
    assert "$500" in page.content.decode()
    claimed = client.post(reverse("tips:follow_up_reward"), {"access": page.context["access"]})
    payout_code = claimed.context["payout_code"]
    assert payout_code and payout_code in claimed.content.decode()
    again = client.post(reverse("tips:follow_up_reward"), {"access": page.context["access"]})
    assert again.status_code == 400 and "already been claimed" in again.content.decode()

    supervisor = actor_for_user(people[Role.SUPERVISOR])
    paid = services.reward_payout(actor=supervisor, payout_code=payout_code)
    assert paid.pk == tip.pk and paid.reward_paid_at
    with pytest.raises(services.Refused):
        services.reward_payout(actor=supervisor, payout_code=payout_code)
    with pytest.raises(services.Refused):
        services.reward_payout(actor=supervisor, payout_code=credentials.code_new())


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (32, 16), "red")
    exif = Image.Exif()
    exif[0x010F] = "CanaryMaker"
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (40.0, 42.0, 46.0), 3: "W", 4: (74.0, 0.0, 21.0)})
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def test_photos_lose_their_gps_and_a_renamed_program_is_refused(client, agency, settings):
    photo = SimpleUploadedFile("IMG_0001.jpg", jpeg_with_gps(), content_type="image/jpeg")
    response = client.post(reverse("tips:new"), {**FORM, "files": [photo]})
    assert response.status_code == 201
    stored = Tip.objects.get().attachments.get()
    data = stored.file.read()
    assert b"CanaryMaker" not in data and not Image.open(io.BytesIO(data)).getexif()
    assert "IMG_0001" not in stored.file.name

    program = SimpleUploadedFile("holiday.jpg", b"MZ\x90\x00" + b"\x00" * 200, content_type="image/jpeg")
    refused = client.post(reverse("tips:new"), {**FORM, "files": [program]})
    assert refused.status_code == 400
    assert "not accepted" in refused.content.decode()
    assert Tip.objects.count() == 1


def test_the_tipster_adds_a_file_later_through_the_api(client, agency):
    code = credentials.code_new()
    tip = TipFactory(agency=agency, code=code)
    photo = SimpleUploadedFile("p.jpg", jpeg_with_gps(), content_type="image/jpeg")
    response = client.post("/api/tips/follow-up/files", {"code": code, "passphrase": PASSPHRASE, "file": photo})
    assert response.status_code == 201, response.content
    assert response.json()["attachments"] == 1
    assert tip.attachments.get().content_type == "image/jpeg"


def test_the_api_takes_a_time_without_a_zone_as_local_time(client, agency):
    response = client.post("/api/tips", {"category": "theft", "description": "Bikes cut from the rack at the library.",
                                         "occurred_at": "2026-11-20T22:30:00"}, content_type="application/json")
    assert response.status_code == 201, response.content
    occurred = Tip.objects.get().occurred_at
    assert timezone.localtime(occurred).hour == 22


def test_a_place_needs_both_coordinates(client, agency):
    response = client.post("/api/tips", {"category": "theft", "description": "Bikes cut from the rack again.",
                                         "location_kind": "address", "location_text": "library", "latitude": 44.9},
                           content_type="application/json")
    assert response.status_code == 400 and "both the latitude and the longitude" in response.json()["detail"]


def test_the_tipster_claims_a_reward_through_the_api_once(client, agency, people):
    code = credentials.code_new()
    tip = TipFactory(agency=agency, code=code)
    services.tip_reward_set(actor=actor_for_user(people[Role.SUPERVISOR]), tip=tip, amount=Decimal("75"))
    first = client.post("/api/tips/follow-up/reward", {"code": code, "passphrase": PASSPHRASE},
                        content_type="application/json")
    assert first.status_code == 200 and first["Cache-Control"] == "no-store"
    assert first.json()["amount"] == "75.00"
    assert services.reward_payout(actor=actor_for_user(people[Role.SUPERVISOR]),
                                  payout_code=first.json()["payout_code"]).pk == tip.pk
    again = client.post("/api/tips/follow-up/reward", {"code": code, "passphrase": PASSPHRASE},
                        content_type="application/json")
    assert again.status_code == 400


def test_staff_cannot_change_a_reward_once_claimed(agency, people):
    tip = TipFactory(agency=agency)
    supervisor = actor_for_user(people[Role.SUPERVISOR])
    services.tip_reward_set(actor=supervisor, tip=tip, amount=Decimal("75"))
    stale = Tip.objects.get(pk=tip.pk)  # loaded before the claim, as a racing request would have it
    services.tipster_reward_claim(tip=tip)
    with pytest.raises(services.Refused, match="claimed"):
        services.tip_reward_set(actor=supervisor, tip=stale, amount=None)


def test_a_question_is_answered_once(client, agency, people):
    code = credentials.code_new()
    tip = TipFactory(agency=agency, code=code)
    question = services.tip_message_send(actor=actor_for_user(people[Role.ANALYST]), tip=tip, body="When?",
                                         is_question=True)
    services.tipster_reply(tip=tip, body="Tuesday.", answers=question.pk)
    with pytest.raises(services.Refused, match="no longer open"):
        services.tipster_reply(tip=tip, body="Wednesday.", answers=question.pk)


def test_an_api_file_refused_before_cleaning_is_still_wiped(client, agency, monkeypatch):
    wiped = []
    monkeypatch.setattr("safecommons.tips.api.upload_wipe", wiped.append)
    photo = SimpleUploadedFile("p.jpg", jpeg_with_gps(), content_type="image/jpeg")
    response = client.post("/api/tips/follow-up/files", {"code": credentials.code_new(), "passphrase": "x",
                                                        "file": photo})
    assert response.status_code == 400 and len(wiped) == 1


def test_sending_the_same_form_twice_makes_one_tip(client, agency):
    form = client.get(reverse("tips:new")).context["form"]
    token = form["submission"].value()
    assert token
    first = submit(client, submission=token)
    again = submit(client, submission=token)
    assert (first.status_code, again.status_code) == (201, 409)
    assert "already received" in again.content.decode()
    assert Tip.objects.count() == 1


def test_a_refused_form_may_be_sent_again_with_the_same_token(client, agency):
    assert submit(client, submission="tok-1", description="short").status_code == 400
    assert submit(client, submission="tok-1").status_code == 201


def test_contact_details_without_the_box_ticked_are_questioned_not_dropped(client, agency):
    response = submit(client, contact_phone="555-0199")
    assert response.status_code == 400 and "did not tick" in response.content.decode()
    assert not Tip.objects.exists()


def test_a_reply_sent_twice_is_stored_once(client, agency, people):
    code = credentials.code_new()
    tip = TipFactory(agency=agency, code=code)
    page = client.post(reverse("tips:follow_up"), {"code": code, "passphrase": PASSPHRASE})
    data = {"access": page.context["access"], "body": "One more detail.",
            "submission": page.context["reply_form"]["submission"].value()}
    first = client.post(reverse("tips:follow_up_reply"), data)
    again = client.post(reverse("tips:follow_up_reply"), data)
    assert (first.status_code, again.status_code) == (201, 409)
    assert tip.messages.count() == 1
