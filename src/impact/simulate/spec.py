"""What a simulated programme is: its specification (a ``programmes`` entry of
``surveys/simulation.yaml`` with its codebook) and the fixed constants of the generative model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from impact.survey.codebook import Codebook

LATENT_SCALES = ("image", "interest", "knowledge", "stereotypes", "self_efficacy", "transition")
ITEM_NOISE_SD = 0.9
THRESHOLD_GAP = 1.0
ITEM_DIFFICULTY = (0.15, -0.10, 0.05, -0.15)
MONTE_CARLO_PERSONS = 200_000
FIXED_ZIP_TIME = (2026, 1, 1, 0, 0, 0)
POSITIVE_EXITS = ("emploi_durable", "formation_qualifiante")
MESS_KINDS = ("duplicates", "tests", "no_consent", "incomplete", "speeders", "straightliners",
              "resubmissions", "bad_values")

# Synthetic name material (first names of mothers, towns of birth, pupils' names).
MOTHER_NAMES = ["Marie", "Nathalie", "Isabelle", "Sylvie", "Catherine", "Sandrine", "Christine",
                "Véronique", "Valérie", "Sophie", "Céline", "Stéphanie", "Karine", "Aurélie",
                "Émilie", "Julie", "Laetitia", "Fatima", "Nadia", "Samia", "Élodie", "Caroline",
                "Virginie", "Audrey", "Hélène", "Anne", "Laurence", "Patricia", "Martine",
                "Sabrina", "Delphine", "Florence", "Agnès", "Béatrice", "Corinne", "Djamila",
                "Ophélie", "Yasmina", "Kelly", "Jessica", "Mélanie", "Noémie", "Pauline",
                "Gaëlle", "Inès", "Leïla", "Rachida", "Océane", "Urielle", "Zoé"]
MOTHER_WEIGHTS = np.linspace(3.0, 0.6, len(MOTHER_NAMES))
TOWNS = ["Besançon", "Belfort", "Montbéliard", "Dijon", "Dole", "Vesoul", "Pontarlier",
         "Lons-le-Saunier", "Chalon-sur-Saône", "Mâcon", "Auxerre", "Nevers", "Paris", "Lyon",
         "Mulhouse", "Audincourt", "Héricourt", "Valentigney", "Sochaux", "Gray", "Morteau",
         "Ornans", "Champagnole", "Saint-Claude", "Le Creusot", "Autun", "Sens", "Beaune",
         "Casablanca", "Alger", "Tunis", "Porto", "Strasbourg", "Marseille", "Lille"]
TOWN_WEIGHTS = np.linspace(3.0, 0.5, len(TOWNS))
FIRST_NAMES = ["Lucas", "Emma", "Hugo", "Jade", "Louis", "Louise", "Nathan", "Alice", "Enzo",
               "Chloé", "Léo", "Lina", "Gabriel", "Mila", "Adam", "Inaya", "Yanis", "Sarah",
               "Mohamed", "Camille", "Théo", "Manon", "Kylian", "Lola", "Noah", "Anaïs"]
LAST_NAMES = ["Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois",
              "Moreau", "Laurent", "Simon", "Michel", "Lefèvre", "Leroy", "Roux", "David",
              "Bertrand", "Morel", "Fournier", "Girard", "Bonnet", "Dupont", "Lambert", "Faure",
              "Rousseau", "Blanc", "Guérin", "Muller", "Henry", "Roussel", "Benali", "Nguyen"]
COMMENTS = ["Très bien", "Visite intéressante", "J'ai aimé l'atelier", "Trop long",
            "Super journée !", "Merci", "Je ne savais pas que l'industrie recrutait autant",
            "Bien mais\nun peu court", "Les robots c'était top"]
KEYBOARD_NEIGHBOURS = {c: n for c, n in zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                                            "QVXSRDFJUHJKNBPOASDYIBZCTE", strict=True)}


@dataclass(frozen=True)
class ProgrammeSpec:
    name: str
    spec: dict
    codebook: Codebook
    scale_factor: float

    def get(self, key, default=None):
        return self.spec.get(key, default)

    @property
    def scales(self) -> tuple[str, ...]:
        return self.codebook.scales

    @property
    def waves(self) -> list[str]:
        return list(self.codebook.waves)


