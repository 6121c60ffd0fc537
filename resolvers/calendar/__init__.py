"""The calendar: academic years, period schemes, periods and holidays."""
