"""Crime-data forms: the import upload."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from safecommons.crimedata.mapping import Mapping, MappingError, mapping_load, mapping_parse, shipped_mappings
from safecommons.crimedata.services.imports import crime_import_max_bytes

MAPPING_MAX_BYTES = 1024 * 1024
UPLOADED = "__uploaded__"


class ImportForm(forms.Form):
    """An export and the mapping that reads it: a shipped one, or the agency's own file."""

    agency = forms.TypedChoiceField(label=_("Agency"), coerce=int)
    file = forms.FileField(label=_("Export (CSV or XLSX)"))
    mapping = forms.ChoiceField(label=_("Mapping"))
    mapping_file = forms.FileField(label=_("Your own mapping (YAML or JSON)"), required=False,
                                   help_text=_("Used when the mapping above is 'My own mapping file'."))

    def __init__(self, *args, agencies, **kwargs):
        super().__init__(*args, **kwargs)
        self.agencies = {agency.pk: agency for agency in agencies}
        self.fields["agency"].choices = [(agency.pk, agency.name) for agency in agencies]
        self.fields["mapping"].choices = [(name, name) for name in shipped_mappings()] + [
            (UPLOADED, _("My own mapping file"))]
        limit = crime_import_max_bytes() // (1024 * 1024)
        self.fields["file"].help_text = _("At most %(limit)s MB. Importing the same file again updates its "
                                          "records.") % {"limit": limit}

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = crime_import_max_bytes()
        # The size is known before the file is read: one over the limit is refused unread.
        if upload.size > limit:
            raise forms.ValidationError(_("The file is larger than %(limit)s MB. Split it, or import it on the "
                                          "server with manage.py crime_import.") % {"limit": limit // (1024 * 1024)})
        return upload

    def clean(self):
        cleaned = super().clean()
        choice = cleaned.get("mapping")
        try:
            if choice == UPLOADED:
                upload = cleaned.get("mapping_file")
                if upload is None:
                    raise MappingError(_("Choose your mapping file, or one of the shipped mappings."))
                if upload.size > MAPPING_MAX_BYTES:
                    raise MappingError(_("A mapping file is at most 1 MB."))
                name = upload.name.rsplit(".", 1)[0] if upload.name else "uploaded"
                cleaned["chosen_mapping"] = mapping_parse(upload.read(), name=name)
            elif choice:
                cleaned["chosen_mapping"] = mapping_load(choice)
        except MappingError as exc:
            self.add_error("mapping_file" if choice == UPLOADED else "mapping", str(exc))
        return cleaned

    def chosen(self) -> tuple[object, Mapping]:
        return self.agencies[self.cleaned_data["agency"]], self.cleaned_data["chosen_mapping"]
