import Prometheus

extension SekishoMetrics {
    /// Counts a grant of the OpenID provider (`sekisho_oidc_grants_total{type=...}`): codes issued,
    /// codes exchanged, refreshes, client credentials, revocations.
    func oidcGrant(_ type: String) {
        registry.makeCounter(name: "sekisho_oidc_grants_total", labels: [("type", type)], help: "OpenID provider grants, by type.").increment()
    }

    /// Counts a refusal by its reason (`sekisho_oidc_refusals_total{reason=...}`); reasons are a
    /// fixed set of names from the code, never request values.
    func oidcRefusal(_ reason: String) {
        registry.makeCounter(name: "sekisho_oidc_refusals_total", labels: [("reason", reason)], help: "OpenID provider refusals, by reason.")
            .increment()
    }
}
