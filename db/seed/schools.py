"""The region, its municipalities and the 12 pilot schools of the order, with their set-ups."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

REGION_CODE = "28"
REGION_NAME = "Амурская область"
TIMEZONE = "Asia/Yakutsk"

BLAGOVESHCHENSK = "г. Благовещенск"
BELOGORSK = "г. Белогорск"
TYNDA = "г. Тында"
BUREYA = "Бурейский район"
IVANOVKA = "Ивановский район"
PROGRESS = "пгт Прогресс"

MUNICIPALITIES: tuple[tuple[str, str], ...] = (
    (BLAGOVESHCHENSK, "городской округ"),
    (BELOGORSK, "городской округ"),
    (TYNDA, "городской округ"),
    (BUREYA, "муниципальный район"),
    (IVANOVKA, "муниципальный район"),
    (PROGRESS, "городской округ"),
)


@dataclass(frozen=True)
class SchoolSpec:
    """How one school is set up in the demo.

    `schemes` maps a scheme kind to the grade levels that use it; `letters` is the number of
    parallel classes in grades 1–9 and 10–11; `ten_point` lists grade levels graded on the
    10-point scale; `pass_fail` lists subjects graded зачёт/незачёт. `rounding_threshold`
    is the school's own (a `school_settings` row); None keeps the default 0.5. Every school
    teaches grade 1 without marks (a `teaching_without_marks` row).
    """

    key: str
    name: str
    short_name: str
    municipality: str
    schemes: dict[str, range]
    letters: tuple[int, int] = (2, 1)
    class_size: tuple[int, int] = (22, 28)
    grades: range = range(1, 12)
    six_day_from: int | None = None
    ten_point: range = range(0)
    pass_fail: tuple[str, ...] = ()
    prefix: str | None = None
    rounding_threshold: Decimal | None = None


_Q_HY = {"quarters": range(1, 10), "half_years": range(10, 12)}
_Q = {"quarters": range(1, 12)}

SCHOOLS: tuple[SchoolSpec, ...] = (
    SchoolSpec("blag_g1", "МОАУ Гимназия № 1 г. Благовещенска", "Гимназия № 1 (Благовещенск)",
               BLAGOVESHCHENSK, _Q_HY, letters=(2, 2), class_size=(24, 29), prefix="g1"),
    SchoolSpec("blag_g25", "МОАУ Гимназия № 25 г. Благовещенска",
               "Гимназия № 25 (Благовещенск)", BLAGOVESHCHENSK, _Q, letters=(2, 1),
               rounding_threshold=Decimal("0.6")),
    SchoolSpec("bel_g1", "МОАУ Гимназия № 1 г. Белогорска", "Гимназия № 1 (Белогорск)",
               BELOGORSK, {"trimesters": range(1, 12)}, letters=(2, 1)),
    SchoolSpec("bel_s11", "МОАУ СОШ № 11 г. Белогорска", "СОШ № 11 (Белогорск)", BELOGORSK,
               _Q_HY, letters=(2, 1), class_size=(20, 27), pass_fail=("ОРКСЭ",), prefix="s11"),
    SchoolSpec("bel_s17", "МОАУ СОШ № 17 г. Белогорска", "СОШ № 17 (Белогорск)", BELOGORSK,
               _Q, letters=(1, 1), class_size=(20, 27)),
    SchoolSpec("bel_s200", "МОАУ СОШ № 200 г. Белогорска", "СОШ № 200 (Белогорск)", BELOGORSK,
               {"modules": range(1, 12)}, letters=(1, 1), class_size=(20, 27)),
    SchoolSpec("tyn_s2", "МОБУ СОШ № 2 г. Тында", "СОШ № 2 (Тында)", TYNDA, _Q_HY,
               letters=(1, 1), class_size=(20, 27)),
    SchoolSpec("tyn_l8", "МОБУ Лицей № 8 г. Тында", "Лицей № 8 (Тында)", TYNDA, _Q_HY,
               letters=(2, 1), ten_point=range(5, 10)),
    SchoolSpec("tyn_g2", "МОАУ Гимназия № 2 г. Тында", "Гимназия № 2 (Тында)", TYNDA, _Q,
               letters=(1, 1)),
    SchoolSpec("bur_doldykan", "МОКУ Долдыканская МОШ Бурейского района",
               "Долдыканская МОШ", BUREYA, _Q, letters=(1, 0), class_size=(4, 9),
               grades=range(1, 10)),
    SchoolSpec("iv_novoalekseevka", "МОБУ СОШ с. Новоалексеевка Ивановского района",
               "СОШ с. Новоалексеевка", IVANOVKA, _Q, letters=(1, 1), class_size=(8, 15)),
    SchoolSpec("progress_s4", "МОБУ СОШ № 4 пгт. Прогресс", "СОШ № 4 (Прогресс)", PROGRESS,
               _Q, letters=(1, 1), class_size=(18, 25), six_day_from=5),
)

LETTERS = "АБВГ"
