/// Runs `body` with `resource`, then `cleanup`, whether `body` returned or threw: the one way test
/// support ends what a test started (servers, folders, databases), so that tests need no `defer`
/// of their own and no cleanup is forgotten on the error path.
public func withCleanup<Resource, Result>(
    _ resource: Resource,
    cleanup: (Resource) async -> Void,
    _ body: (Resource) async throws -> Result
) async throws -> Result {
    let result: Result
    do {
        result = try await body(resource)
    } catch {
        await cleanup(resource)
        throw error
    }
    await cleanup(resource)
    return result
}
