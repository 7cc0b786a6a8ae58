"""The catalogue's public interface for plugins (docs/catalogue.md): forms and workflows.

    from core.catalogue.api import standard_workflow, validate_form

    wf = standard_workflow()                       # derive an item's workflow from the standard one
    cleaned, problems = validate_form(item.form, data)   # check a form before opening a case

Service items, form fields and workflows themselves are records of ``core.hooks``.
"""

from __future__ import annotations

from core.catalogue.forms import validate as validate_form
from core.catalogue.workflows import instant_workflow, standard_workflow

__all__ = ["instant_workflow", "standard_workflow", "validate_form"]
