import Foundation
import Logging
import SekishoCore
import SekishoStore

/// Moves user IDs stored before RFC 8265 comparison to the form they are now looked up in, and reports the stored
/// IDs that the rules for new names would refuse (issue 18, item 9). Runs at every start; with nothing to do it only
/// reads the user list.
///
/// Until this version IDs were stored lower-cased and NFC-normalised, so only width forms differ: `ａｌｉｃｅ` (fullwidth)
/// is renamed to `alice`, and its owner signs in typing either. When `alice` exists already, both were distinct accounts
/// that now share one name: nothing is changed, a warning names both, and the fullwidth one cannot sign in until an
/// administrator deletes it or the other. IDs with mixed scripts or look-alike characters keep working; each is
/// named once in a notice so the operator can decide.
enum UserNameMigration {
    static func run(store: any Store, clock: any WallClock, logger: Logger) async throws {
        let now = clock.now()
        let users = try await store.listUsers(search: nil, limit: 1_000_000, offset: 0, at: now).map(\.user)
        var skeletons: [String: String] = [:]
        for user in users {
            let stored = user.username
            let enforced = UserName.normalize(stored)
            var name = stored
            if enforced != stored {
                let audit = NewAuditEvent(
                    kind: AuditKind.userRenamed.rawValue,
                    subjectUserID: user.id,
                    username: enforced,
                    clientAddress: "console",
                    detail: "\(stored) → \(enforced) (RFC 8265)"
                )
                do {
                    try await store.renameUser(userID: user.id, to: enforced, at: now, effects: SideEffects(audit: [audit]))
                    logger.notice("user ID \(stored) is now stored as \(enforced) (RFC 8265 comparison); its owner signs in typing either")
                    name = enforced
                } catch let error as StoreError where error.isDuplicate {
                    logger.warning(
                        """
                        user IDs \(stored) and \(enforced) are the same name under RFC 8265 comparison: \(stored) cannot sign in \
                        until an administrator deletes one of the two accounts on /admin/users (and creates it again if needed)
                        """
                    )
                }
            }
            do {
                try UserName.check(name)
            } catch {
                logger.notice("user ID \(name) would not be accepted for a new account (\(error.description)); it keeps working")
            }
            let skeleton = UsernameCaseMapped.skeleton(name)
            if let other = skeletons[skeleton], UserName.looksAlike(name, other) {
                logger.notice("user IDs \(other) and \(name) look alike (UTS #39 skeleton); consider renaming one")
            }
            skeletons[skeleton] = skeletons[skeleton] ?? name
        }
    }
}
