"""Where a record may be shown: the hundred-block without the household's unit, and a block centre only where
the gazetteer knows enough houses for the centre not to be one of them."""

import pytest

from safecommons.crimedata import generalise, nibrs, publication
from safecommons.crimedata.models import PublicationRule
from safecommons.places.addresses import street_key
from safecommons.places.models import AddressPoint


@pytest.mark.parametrize(("address", "block"), [
    ("1234 Main St", "1200 block of MAIN ST"),
    ("1234 Main St Apt 4B", "1200 block of MAIN ST"),
    ("1234 Main St #12", "1200 block of MAIN ST"),
    ("1234 Main St, Unit 3", "1200 block of MAIN ST"),
    ("1234 Main St Unit3", "1200 block of MAIN ST"),
    ("12 Main St Ste. 400", "0 block of MAIN ST"),
    ("9 Elm St Bldg 2 Apt 5", "0 block of ELM ST"),
    ("9 Elm St Apt B", "0 block of ELM ST"),
    ("77 Main St #", "0 block of MAIN ST"),
    ("043XX S WOOD ST", "4300 block of S WOOD ST"),
    ("1200 block of Main St", "1200 block of MAIN ST"),
    # Street names that merely contain a unit word keep it.
    ("1234 Suite Rd", "1200 block of SUITE RD"),
    ("1234 N Lot Ave", "1200 block of N LOT AVE"),
    ("55 Floor St", "0 block of FLOOR ST"),
])
def test_the_hundred_block_never_keeps_the_unit(address, block):
    assert generalise.hundred_block(address)[0] == block


def test_an_address_without_a_house_number_has_no_block():
    assert generalise.hundred_block("Main St & 5th Ave") is None
    assert generalise.hundred_block("Apt 4") is None


def _houses(street, numbers, latitude=44.95, longitude=-93.25):
    AddressPoint.objects.bulk_create([
        AddressPoint(number=str(number), street=street, street_key=street_key(street),
                     latitude=latitude + i * 0.0001, longitude=longitude + i * 0.0001)
        for i, number in enumerate(numbers)])


@pytest.mark.django_db
def test_a_block_centre_is_the_mean_of_its_houses_only_where_the_gazetteer_knows_enough_of_them():
    _houses("Oak Ave", [1201, 1203, 1205, 1207, 1209])  # five houses: their mean
    _houses("Elm St", [301], latitude=44.96)  # one house: its own position must not be published
    _houses("Pine St", [501, 501, 501, 501, 503], latitude=44.97)  # two houses listed five times: still two
    centres = generalise.BlockCentres.load()

    assert centres.centre("oak ave", 1200) == (round(44.95 + 0.0002, 5), round(-93.25 + 0.0002, 5))
    lone = centres.centre("elm st", 300)
    assert lone == generalise.grid_centre(generalise.grid_cell(44.96, -93.25)) and lone != (44.96, -93.25)
    assert centres.centre("pine st", 500) == generalise.grid_centre(generalise.grid_cell(44.9702, -93.2498))


@pytest.mark.django_db
def test_a_sensitive_groups_threshold_never_drops_below_the_default(agency):
    PublicationRule.objects.create(agency=agency, offense_group=nibrs.OffenseGroup.SEX_OFFENSE,
                                   display=PublicationRule.Display.AREA, min_count=1)
    PublicationRule.objects.create(agency=agency, offense_group=nibrs.OffenseGroup.LARCENY,
                                   display=PublicationRule.Display.POINT, min_count=1)
    policy = publication.policy_for(agency_id=agency.pk)
    assert policy.min_count[nibrs.OffenseGroup.SEX_OFFENSE] == publication.DEFAULT_MIN_COUNT
    assert policy.min_count[nibrs.OffenseGroup.LARCENY] == 1
