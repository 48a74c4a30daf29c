import Foundation
import NIOCore
import Testing

@testable import SekishoServer

/// The interface strings written into the templates at start-up.
@Suite struct PageRendererTests {
    @Test func stringsAreWrittenInEscapedSoNoneBecomesMarkupOrATag() throws {
        let text = try PageRenderer.insertStrings(
            ["login_title": "<b>{{csrf}}</b> & 'x' \"y\""],
            into: "<h1>{{t.login_title}}</h1>{{csrf}}",
            template: "login",
            language: .en
        )
        #expect(text == "<h1>&lt;b&gt;&#123;&#123;csrf&#125;&#125;&lt;/b&gt; &amp; &#39;x&#39; &quot;y&quot;</h1>{{csrf}}")
    }

    @Test func aTemplateNamingAMissingStringStopsStartUp() {
        #expect(throws: StartupError.self) {
            _ = try PageRenderer.insertStrings(
                ["login_title": "Sign in"],
                into: "{{t.login_title}} {{t.no_such_key}}",
                template: "login",
                language: .ja
            )
        }
    }

    @Test func everyShippedTemplateHasItsStringsInEveryLanguage() async throws {
        _ = try await PageRenderer.load(publicDirectory: repositoryRoot() + "/Public")
    }
}

extension PageRendererTests {
    @Test func languageLinksEscapeThePathAndMarkTheCurrentLanguage() {
        let html = PageRenderer.languageLinks(path: #"/reset/"><script>"#, current: .ja)
        #expect(!html.contains("<script>"))
        #expect(html.contains(#"href="/reset/&quot;&gt;&lt;script&gt;?lang=en""#))
        #expect(html.contains(#"hreflang="ja" lang="ja" aria-current="true">"#))
        #expect(!html.contains(#"hreflang="en" lang="en" aria-current"#))
    }
}

extension PageRendererTests {
    /// The plain login page is rendered once per language; each visitor still gets their own token.
    @Test func aSharedPageIsTheFreshPageWithEachVisitorsOwnToken() async throws {
        let renderer = try await PageRenderer.load(publicDirectory: repositoryRoot() + "/Public")
        for language in Language.allCases {
            for token in ["first-token", "second-token"] {
                var web = WebState()
                web.language = language
                web.csrfToken = token
                // With passwordless sign-in offered the page has two forms, each with the token.
                let page = Page("login", title: "login.title", values: ["rd": "", "passwordless": true]).with(.notice, "login.expired")
                let shared = try #require(renderer.html(page.sharable(), web: web, path: "/login"))
                let fresh = try #require(renderer.html(page, web: web, path: "/login"))
                #expect(String(buffer: shared) == String(buffer: fresh))
                #expect(String(buffer: shared).components(separatedBy: #"name="csrf" value="\#(token)""#).count == 3)
                #expect(!String(buffer: shared).contains(SharedPages.marker))
            }
        }
    }

    @Test func aPageWithoutATokenIsNotSharedAndEveryFormGetsIt() {
        #expect(SharedPages.split("<p>no form</p>") == nil)
        #expect(SharedPages.split("a\(SharedPages.marker)b\(SharedPages.marker)c")?.texts == ["a", "b", "c"])
        #expect(SharedPages.split("a\(SharedPages.marker)b").map(\.texts) == ["a", "b"])
    }
}
