"""NIBRS offense codes, what each offense is against, and the groups the public sees.

The catalogue is the FBI's National Incident-Based Reporting System list (Group A and Group B offenses).
A source's own offense codes are mapped onto it by the import mapping; the public never sees a code, only
an offense group, and some groups are sensitive: never shown at a point (see `publication.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class CrimeAgainst(models.TextChoices):
    PERSON = "person", _("Person")
    PROPERTY = "property", _("Property")
    SOCIETY = "society", _("Society")
    NOT_A_CRIME = "not_a_crime", _("Not a crime")
    UNKNOWN = "", _("Unknown")


class OffenseGroup(models.TextChoices):
    HOMICIDE = "homicide", _("Homicide")
    ASSAULT = "assault", _("Assault")
    ROBBERY = "robbery", _("Robbery")
    KIDNAPPING = "kidnapping", _("Kidnapping")
    SEX_OFFENSE = "sex_offense", _("Sex offense")
    DOMESTIC_VIOLENCE = "domestic_violence", _("Domestic violence")
    OFFENSE_AGAINST_CHILD = "offense_against_child", _("Offense against a child")
    FAMILY_OFFENSE = "family_offense", _("Family offense")
    BURGLARY = "burglary", _("Burglary")
    LARCENY = "larceny", _("Larceny / theft")
    MOTOR_VEHICLE_THEFT = "motor_vehicle_theft", _("Motor vehicle theft")
    VANDALISM = "vandalism", _("Vandalism")
    ARSON = "arson", _("Arson")
    FRAUD = "fraud", _("Fraud")
    STOLEN_PROPERTY = "stolen_property", _("Stolen property")
    DRUGS = "drugs", _("Drugs")
    WEAPONS = "weapons", _("Weapons")
    PUBLIC_ORDER = "public_order", _("Public order")
    OTHER = "other", _("Other")
    # An offense the import mapping does not know: kept for analysts, never public (its sensitivity is unknown).
    UNCLASSIFIED = "unclassified", _("Unclassified")


@dataclass(frozen=True)
class Offense:
    code: str
    name: str
    against: str
    group: str
    nibrs_group: str  # "A" or "B"


_P, _R, _S, _N = CrimeAgainst.PERSON, CrimeAgainst.PROPERTY, CrimeAgainst.SOCIETY, CrimeAgainst.NOT_A_CRIME
G = OffenseGroup

_OFFENSES = [
    # Group A
    ("09A", "Murder and nonnegligent manslaughter", _P, G.HOMICIDE),
    ("09B", "Negligent manslaughter", _P, G.HOMICIDE),
    ("09C", "Justifiable homicide", _N, G.OTHER),
    ("13A", "Aggravated assault", _P, G.ASSAULT),
    ("13B", "Simple assault", _P, G.ASSAULT),
    ("13C", "Intimidation", _P, G.ASSAULT),
    ("100", "Kidnapping/abduction", _P, G.KIDNAPPING),
    ("11A", "Rape", _P, G.SEX_OFFENSE),
    ("11B", "Sodomy", _P, G.SEX_OFFENSE),
    ("11C", "Sexual assault with an object", _P, G.SEX_OFFENSE),
    ("11D", "Fondling", _P, G.SEX_OFFENSE),
    ("36A", "Incest", _P, G.SEX_OFFENSE),
    ("36B", "Statutory rape", _P, G.SEX_OFFENSE),
    ("64A", "Human trafficking, commercial sex acts", _P, G.SEX_OFFENSE),
    ("64B", "Human trafficking, involuntary servitude", _P, G.KIDNAPPING),
    ("200", "Arson", _R, G.ARSON),
    ("510", "Bribery", _R, G.FRAUD),
    ("220", "Burglary/breaking and entering", _R, G.BURGLARY),
    ("250", "Counterfeiting/forgery", _R, G.FRAUD),
    ("290", "Destruction/damage/vandalism of property", _R, G.VANDALISM),
    ("35A", "Drug/narcotic violations", _S, G.DRUGS),
    ("35B", "Drug equipment violations", _S, G.DRUGS),
    ("270", "Embezzlement", _R, G.FRAUD),
    ("210", "Extortion/blackmail", _R, G.FRAUD),
    ("26A", "False pretenses/swindle/confidence game", _R, G.FRAUD),
    ("26B", "Credit card/automated teller machine fraud", _R, G.FRAUD),
    ("26C", "Impersonation", _R, G.FRAUD),
    ("26D", "Welfare fraud", _R, G.FRAUD),
    ("26E", "Wire fraud", _R, G.FRAUD),
    ("26F", "Identity theft", _R, G.FRAUD),
    ("26G", "Hacking/computer invasion", _R, G.FRAUD),
    ("39A", "Betting/wagering", _S, G.PUBLIC_ORDER),
    ("39B", "Operating/promoting/assisting gambling", _S, G.PUBLIC_ORDER),
    ("39C", "Gambling equipment violations", _S, G.PUBLIC_ORDER),
    ("39D", "Sports tampering", _S, G.PUBLIC_ORDER),
    ("23A", "Pocket-picking", _R, G.LARCENY),
    ("23B", "Purse-snatching", _R, G.LARCENY),
    ("23C", "Shoplifting", _R, G.LARCENY),
    ("23D", "Theft from building", _R, G.LARCENY),
    ("23E", "Theft from coin-operated machine or device", _R, G.LARCENY),
    ("23F", "Theft from motor vehicle", _R, G.LARCENY),
    ("23G", "Theft of motor vehicle parts or accessories", _R, G.LARCENY),
    ("23H", "All other larceny", _R, G.LARCENY),
    ("240", "Motor vehicle theft", _R, G.MOTOR_VEHICLE_THEFT),
    # Obscene material includes images of children: never placed on a public map.
    ("370", "Pornography/obscene material", _S, G.SEX_OFFENSE),
    ("40A", "Prostitution", _S, G.PUBLIC_ORDER),
    ("40B", "Assisting or promoting prostitution", _S, G.PUBLIC_ORDER),
    ("40C", "Purchasing prostitution", _S, G.PUBLIC_ORDER),
    ("120", "Robbery", _R, G.ROBBERY),
    ("280", "Stolen property offenses", _R, G.STOLEN_PROPERTY),
    ("520", "Weapon law violations", _S, G.WEAPONS),
    ("720", "Animal cruelty", _S, G.OTHER),
    ("30A", "Illegal entry into the United States", _S, G.OTHER),
    ("30B", "False citizenship", _S, G.OTHER),
    ("30C", "Smuggling aliens", _S, G.OTHER),
    ("30D", "Re-entry after deportation", _S, G.OTHER),
    ("49A", "Harboring escapee/concealing from arrest", _S, G.OTHER),
    ("49B", "Flight to avoid prosecution", _S, G.OTHER),
    ("49C", "Flight to avoid deportation", _S, G.OTHER),
    ("58A", "Import violations", _S, G.OTHER),
    ("58B", "Export violations", _S, G.OTHER),
    ("61A", "Federal liquor offenses", _S, G.OTHER),
    ("61B", "Federal tobacco offenses", _S, G.OTHER),
    ("620", "Wildlife trafficking", _S, G.OTHER),
    ("101", "Treason", _S, G.OTHER),
    ("103", "Espionage", _S, G.OTHER),
    ("360", "Failure to register as a sex offender", _S, G.OTHER),
]
_GROUP_B = [
    ("90A", "Bad checks", _R, G.FRAUD),
    ("90B", "Curfew/loitering/vagrancy violations", _S, G.PUBLIC_ORDER),
    ("90C", "Disorderly conduct", _S, G.PUBLIC_ORDER),
    ("90D", "Driving under the influence", _S, G.PUBLIC_ORDER),
    ("90E", "Drunkenness", _S, G.PUBLIC_ORDER),
    ("90F", "Family offenses, nonviolent", _S, G.FAMILY_OFFENSE),
    ("90G", "Liquor law violations", _S, G.PUBLIC_ORDER),
    ("90H", "Peeping Tom", _S, G.SEX_OFFENSE),
    ("90I", "Runaway", _S, G.OFFENSE_AGAINST_CHILD),
    ("90J", "Trespass of real property", _S, G.PUBLIC_ORDER),
    ("90K", "Bond default", _S, G.OTHER),
    ("90L", "Federal resource violations", _S, G.OTHER),
    ("90M", "Perjury", _S, G.OTHER),
    ("90Z", "All other offenses", _S, G.OTHER),
]

OFFENSES: dict[str, Offense] = {
    code: Offense(code=code, name=name, against=str(against), group=str(group), nibrs_group=nibrs_group)
    for nibrs_group, rows in (("A", _OFFENSES), ("B", _GROUP_B))
    for code, name, against, group in rows
}


def offense_get(code: str) -> Offense | None:
    """The offense of a NIBRS code ("23c" and " 23C " are "23C"), or None when there is no such code."""
    return OFFENSES.get(code.strip().upper())


def record_group(*, code: str, domestic: bool = False, child_victim: bool = False) -> str:
    """The public offense group of one record.

    A sexual offense stays one. Otherwise a child victim, then a domestic relationship, decide the group,
    whatever the offense: these are the records whose place would point at a household or a child.
    """
    offense = offense_get(code) if code else None
    base = offense.group if offense else OffenseGroup.UNCLASSIFIED
    if base == OffenseGroup.SEX_OFFENSE:
        return base
    if child_victim:
        return OffenseGroup.OFFENSE_AGAINST_CHILD
    if domestic:
        return OffenseGroup.DOMESTIC_VIOLENCE
    return base
