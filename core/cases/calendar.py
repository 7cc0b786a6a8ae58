"""Chinese working days (工作日) for time limits: holidays and swapped work days (调休).

The maintained ``chinese-calendar`` package knows the State Council's schedule for the years it
was released for; an operator override table (:class:`WorkdayOverride`) rules on single dates and
beats it, which is how a year the package does not know yet is entered. For such a year, without
overrides, Monday-Friday are working days (and a warning is logged once per year).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

import chinese_calendar

log = logging.getLogger("zhushida.cases.calendar")
_warned_years: set[int] = set()


@dataclass(frozen=True)
class WorkCalendar:
    overrides: dict[date, bool] = field(default_factory=dict)

    @classmethod
    async def load(cls) -> WorkCalendar:
        from core.cases.models import WorkdayOverride

        rows = await WorkdayOverride.all().values_list("day", "workday")
        return cls({day: workday for day, workday in rows})

    def is_workday(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            if day.year not in _warned_years:
                _warned_years.add(day.year)
                log.warning("chinese-calendar does not know %s: Monday-Friday plus overrides", day.year)
            return day.weekday() < 5

    def add_workdays(self, start: date, days: int) -> date:
        """The ``days``-th working day after ``start`` (``start`` itself not counted); 0 → start."""
        current, left = start, days
        while left > 0:
            current += timedelta(days=1)
            if self.is_workday(current):
                left -= 1
        return current

    def workdays_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; 0 when end <= start."""
        count, current = 0, start
        while current < end:
            current += timedelta(days=1)
            if self.is_workday(current):
                count += 1
        return count
