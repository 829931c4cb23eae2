"""The consent to sign electronically, versioned: each signature records the version its signer agreed to.

A changed wording is a new version; old versions stay here, because signatures point at them.
"""

CONSENT_TEXTS = {
    1: (
        "I agree to sign this Data Privacy Agreement electronically, and that my electronic signature is the legal "
        "equivalent of my handwritten signature (New York State Technology Law, Article 3, the Electronic "
        "Signatures and Records Act, and the federal ESIGN Act). I confirm that I am authorized to sign for the "
        "organisation named below, that I have reviewed the document identified by the SHA-256 fingerprint shown, "
        "and that I can download and keep a copy of it. I may ask the other party for a paper copy at no charge."
    ),
}
CURRENT_CONSENT_VERSION = max(CONSENT_TEXTS)


def consent_text(version: int = CURRENT_CONSENT_VERSION) -> str:
    return CONSENT_TEXTS[version]
