"""The Rasa side of Banshi: domain, rules, endpoints and custom graph components."""
