"""Synthetic people: names, phone numbers, dates of birth and travel documents.

Partner files carry this personal data, so ingestion must have some to pseudonymise. The
same person is written differently by different partners (case, accents, spacing, phone
prefix), which is what the pseudonymiser normalises before hashing.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

FIRST_MALE = [
    "Moussa",
    "Mamadou",
    "Ibrahim",
    "Oumar",
    "Amadou",
    "Seydou",
    "Boubacar",
    "Abdoulaye",
    "Souleymane",
    "Adama",
    "Bakary",
    "Cheick",
    "Drissa",
    "Lassana",
    "Modibo",
    "Sékou",
    "Yacouba",
    "Issa",
    "Aliou",
    "Ousmane",
    "Mahamadou",
    "Hamidou",
    "Idrissa",
    "Kalilou",
    "Siaka",
    "Tiémoko",
    "Youssouf",
    "Ismaël",
    "Fousseyni",
    "Brahima",
    "Karim",
    "Daouda",
    "Salif",
    "Mohamed",
    "Alassane",
    "Kwame",
    "Kofi",
    "Emeka",
    "Chinedu",
    "Tunde",
    "Lamin",
    "Ebrima",
    "Momodou",
    "Babacar",
    "Cheikh",
    "Alioune",
    "Ndiaye",
    "Abdou",
]
FIRST_FEMALE = [
    "Aminata",
    "Fatoumata",
    "Mariam",
    "Awa",
    "Kadiatou",
    "Oumou",
    "Hawa",
    "Assitan",
    "Djénéba",
    "Rokia",
    "Salimata",
    "Fanta",
    "Aïssata",
    "Kadidia",
    "Nana",
    "Bintou",
    "Ramata",
    "Sitan",
    "Korotoumou",
    "Adja",
    "Ndeye",
    "Fatou",
    "Isatou",
    "Ama",
    "Abena",
    "Chioma",
    "Ngozi",
    "Aïcha",
    "Mariama",
    "Safiatou",
]
LAST = [
    "Traoré",
    "Coulibaly",
    "Diarra",
    "Keïta",
    "Koné",
    "Sissoko",
    "Touré",
    "Diallo",
    "Sidibé",
    "Camara",
    "Konaté",
    "Sangaré",
    "Dembélé",
    "Cissé",
    "Kanté",
    "Doumbia",
    "Samaké",
    "Maïga",
    "Cissoko",
    "Tounkara",
    "Fofana",
    "Bagayoko",
    "Dicko",
    "Sow",
    "Ba",
    "Ndiaye",
    "Diop",
    "Fall",
    "Gueye",
    "Sarr",
    "Jallow",
    "Ceesay",
    "Bah",
    "Barry",
    "Sylla",
    "Soumah",
    "Ouédraogo",
    "Sawadogo",
    "Zongo",
    "Kaboré",
    "Mensah",
    "Owusu",
    "Boateng",
    "Okafor",
    "Adeyemi",
    "Mahamat",
    "Abakar",
    "Ould",
    "Kouassi",
    "Yao",
    "N'Guessan",
]

#: International dialling code and national number length of each SLC country.
PHONE = {
    "BFA": ("226", 8),
    "CMR": ("237", 9),
    "CIV": ("225", 10),
    "GMB": ("220", 7),
    "GHA": ("233", 9),
    "GIN": ("224", 9),
    "GNB": ("245", 9),
    "MLI": ("223", 8),
    "MRT": ("222", 8),
    "NER": ("227", 8),
    "NGA": ("234", 10),
    "SEN": ("221", 9),
    "TCD": ("235", 8),
}


def people(
    rng: np.random.Generator,
    n: int,
    iso3: str,
    female_share: float,
    age_low: int = 16,
    age_high: int = 45,
    as_of: dt.date = dt.date(2019, 1, 1),
) -> pl.DataFrame:
    """n people of a country: sex, first/last name, date of birth, phone, document number."""
    female = rng.random(n) < female_share
    first = np.where(female, rng.choice(FIRST_FEMALE, n), rng.choice(FIRST_MALE, n)).astype(object)
    last = rng.choice(LAST, n).astype(object)
    age_days = rng.integers(age_low * 365, age_high * 365, n)
    dob = np.datetime64(as_of) - age_days.astype("timedelta64[D]")
    code, length = PHONE.get(iso3, ("223", 8))
    numbers = rng.integers(10 ** (length - 1), 10**length - 1, n).astype(str)
    style = rng.random(n)
    phone = np.where(
        style < 0.5,
        numbers,
        np.where(style < 0.8, np.char.add(f"+{code} ", numbers), np.char.add(f"00{code}", numbers)),
    )
    documents = np.char.add(f"{iso3[:2]}", rng.integers(1_000_000, 9_999_999, n).astype(str))
    return pl.DataFrame(
        {
            "sex": np.where(female, "F", "M"),
            "first_name": first,
            "last_name": last,
            "date_of_birth": dob.astype("datetime64[D]"),
            "phone": phone,
            "document_number": documents,
        },
        schema_overrides={"first_name": pl.String, "last_name": pl.String},
    ).with_columns(pl.col("date_of_birth").cast(pl.Date))


def respell(name: pl.Expr) -> pl.Expr:
    """How another partner writes the same name: upper case, accents dropped."""
    return (
        name.str.to_uppercase()
        .str.replace_all("[ÉÈÊ]", "E")
        .str.replace_all("[ÏÎ]", "I")
        .str.replace_all("Ô", "O")
    )
