extension OIDCClientRegistration {
    /// A refusal of what the operator wrote: ``description`` in English for the console and the
    /// start-up log, ``reason`` and ``subject`` for the admin page, which words it in the page's
    /// language (`admin.client_refused.<reason>` followed by the subject).
    public struct Refusal: Error, CustomStringConvertible {
        public enum Reason: String, Sendable {
            case badClientID = "bad_client_id"
            case noRedirectURI = "no_redirect_uri"
            case badURI = "bad_uri"
            case unknownScope = "unknown_scope"
            case badLifetime = "bad_lifetime"
            case unknownUser = "unknown_user"
            case duplicate
            case notFound = "not_found"
            case definedInFile = "defined_in_file"
        }

        public let reason: Reason
        /// The value at fault (a URI, a scope, a user ID), shown after the reason.
        public let subject: String
        public let description: String

        init(_ reason: Reason, _ subject: String = "", _ description: String) {
            self.reason = reason
            self.subject = subject
            self.description = description
        }

        /// The same refusal, with where it came from put in front of the English text.
        func prefixed(_ context: String) -> Refusal {
            Refusal(reason, subject, "\(context): \(description)")
        }
    }
}
