import Foundation

/// The PRECIS UsernameCaseMapped profile (RFC 8265, section 3.3) with the look-alike checks of Unicode Technical
/// Standard #39, for user IDs that people type and other people read.
///
/// ```swift
/// UsernameCaseMapped.enforce("ＡＬＩＣＥ")          // "alice": fullwidth forms are the same name
/// UsernameCaseMapped.scriptMix("аlice")          // ["Cyrl", "Latn"]: Cyrillic а among Latin letters
/// UsernameCaseMapped.skeleton("alıce")           // "alice": dotless ı looks like i
/// ```
///
/// The tables come from Unicode's data files through `scripts/generate-unicode-tables.py`. Not implemented: the
/// Bidi Rule of RFC 5893 (the mixed-script rule already keeps right-to-left letters out of left-to-right names).
public enum UsernameCaseMapped {
    /// Enforcement (RFC 8265 3.3.3): width mapping, lower case (Unicode toLowerCase), NFC.
    ///
    /// The result is the form that is stored and compared; it can still hold characters that ``disallowedScalar(in:)``
    /// refuses, so that an existing account keeps working after the rules grew stricter.
    public static func enforce(_ input: String) -> String {
        var mapped = String.UnicodeScalarView()
        let widths = UnicodeSecurityTables.shared.widthMappings
        for scalar in input.unicodeScalars {
            if let target = widths[scalar.value] {
                mapped.append(contentsOf: target)
            } else {
                mapped.append(scalar)
            }
        }
        return String(mapped).lowercased().precomposedStringWithCanonicalMapping
    }

    /// The first scalar that the IdentifierClass (RFC 8264 section 4.2) does not allow, or `nil`.
    ///
    /// Letters and digits (general categories Ll, Lu, Lo, Lm, Nd, Mn, Mc) are allowed unless they have a compatibility
    /// decomposition (`𝐚`, `ｶ` before width mapping, `①`: "HasCompat"), are old Hangul jamo or default-ignorable;
    /// `allowedASCII` decides about ASCII (PRECIS would allow every printable ASCII character).
    public static func disallowedScalar(in name: String, allowedASCII: (Unicode.Scalar) -> Bool) -> Unicode.Scalar? {
        name.unicodeScalars.first { scalar in
            if scalar.isASCII { return !allowedASCII(scalar) }
            let properties = scalar.properties
            switch properties.generalCategory {
            case .lowercaseLetter, .uppercaseLetter, .otherLetter, .modifierLetter, .decimalNumber, .nonspacingMark, .spacingMark:
                break
            default:
                return true
            }
            if properties.isDefaultIgnorableCodePoint || isOldHangulJamo(scalar) { return true }
            let text = String(scalar)
            return text.precomposedStringWithCompatibilityMapping != text
        }
    }

    /// The UTS #39 skeleton: NFD, each character replaced by its confusable prototype, NFD again.
    ///
    /// Two strings with the same skeleton look alike (`paypal` and `pаypаl` with Cyrillic а).
    public static func skeleton(_ text: String) -> String {
        let confusables = UnicodeSecurityTables.shared.confusables
        var mapped = String.UnicodeScalarView()
        for scalar in text.decomposedStringWithCanonicalMapping.unicodeScalars {
            if let prototype = confusables[scalar.value] {
                mapped.append(contentsOf: prototype)
            } else {
                mapped.append(scalar)
            }
        }
        return String(mapped).decomposedStringWithCanonicalMapping
    }

    /// The scripts that `text` mixes (ISO 15924 codes in order of appearance), or `nil` when it passes the UTS #39
    /// "highly restrictive" level: one script (Common and Inherited characters go with any), or Latin with the
    /// scripts written together in Japan (Han, Hiragana, Katakana), China (Han, Bopomofo) or Korea (Han, Hangul).
    public static func scriptMix(_ text: String) -> [String]? {
        let tables = UnicodeSecurityTables.shared
        let sets = text.unicodeScalars.map { tables.scriptExtensions(of: $0) }.filter { !$0.contains("Zyyy") && !$0.contains("Zinh") }
        let augmented = sets.map(augment)
        if let first = augmented.first, !augmented.dropFirst().reduce(first, { $0.intersection($1) }).isEmpty {
            return nil
        }
        if augmented.isEmpty { return nil }
        let combinations: [Set<String>] = [["Latn", "Jpan"], ["Latn", "Hanb"], ["Latn", "Kore"]]
        if combinations.contains(where: { combination in augmented.allSatisfy { !$0.isDisjoint(with: combination) } }) {
            return nil
        }
        var seen: [String] = []
        for set in sets {
            let name = set.sorted().first ?? "Zzzz"
            if !seen.contains(name) { seen.append(name) }
        }
        return seen
    }

    /// UTS #39 section 5.1: Han, Hiragana, Katakana, Bopomofo and Hangul also count as the writing systems they are part of.
    private static func augment(_ set: Set<String>) -> Set<String> {
        var result = set
        if set.contains("Hani") { result.formUnion(["Hanb", "Jpan", "Kore"]) }
        if set.contains("Hira") || set.contains("Kana") { result.insert("Jpan") }
        if set.contains("Hang") { result.insert("Kore") }
        if set.contains("Bopo") { result.insert("Hanb") }
        return result
    }

    private static func isOldHangulJamo(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x1100...0x11FF, 0xA960...0xA97F, 0xD7B0...0xD7FF: true
        default: false
        }
    }
}
