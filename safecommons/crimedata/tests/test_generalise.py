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
def test_a_public_point_is_a_grid_cell_centre_never_a_house():
    # Five evenly spaced houses: the mean of the block is the middle house, 1205.
    _houses("Oak Ave", [1201, 1203, 1205, 1207, 1209])
    middle_house = (44.9502, -93.2498)
    blocks = generalise.BlockCentres.load()
    cell_centre = generalise.grid_centre(generalise.grid_cell(*middle_house))
    assert blocks.centre("oak ave", 1200) == cell_centre != middle_house

    # With coordinates: the cell of the exact point, whatever the block.
    block, lat, lon = generalise.public_place(address="1205 Oak Ave", latitude=44.9611, longitude=-93.2601,
                                              blocks=blocks)
    assert block == "1200 block of OAK AVE"
    assert (lat, lon) == generalise.grid_centre(generalise.grid_cell(44.9611, -93.2601))
    # An address alone: the cell the gazetteer puts its block in; an unknown block: no point.
    assert generalise.public_place(address="1205 Oak Ave", latitude=None, longitude=None,
                                   blocks=blocks)[1:] == cell_centre
    assert generalise.public_place(address="9 Nowhere Rd", latitude=None, longitude=None,
                                   blocks=blocks)[1:] == (None, None)


@pytest.mark.django_db
def test_a_sensitive_groups_threshold_never_drops_below_the_default(agency):
    PublicationRule.objects.create(agency=agency, offense_group=nibrs.OffenseGroup.SEX_OFFENSE,
                                   display=PublicationRule.Display.AREA, min_count=1)
    PublicationRule.objects.create(agency=agency, offense_group=nibrs.OffenseGroup.LARCENY,
                                   display=PublicationRule.Display.POINT, min_count=1)
    policy = publication.policy_for(agency_id=agency.pk)
    assert policy.min_count[nibrs.OffenseGroup.SEX_OFFENSE] == publication.DEFAULT_MIN_COUNT
    assert policy.min_count[nibrs.OffenseGroup.LARCENY] == 1
