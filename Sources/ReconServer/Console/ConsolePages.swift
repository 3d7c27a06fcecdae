public import Foundation
import Mustache
import NIOCore

/// The console's templates and stylesheet: the files of `Resources/console` (the module's resource bundle, which
/// sits beside the binary), read once when the console is built. `{{x}}` escapes HTML.
struct ConsolePages: Sendable {
    /// The templates, by file name without `.mustache`.
    enum Template: String, CaseIterable, Sendable {
        case layout, login, message, dashboard, payments, payment, callback, refunds, refund, exceptions, exception
        case reports, audit
    }

    let library: MustacheLibrary
    /// `console.css`, served as it is.
    let stylesheet: ByteBuffer

    /// The files of the module's resource bundle.
    static func bundled() throws(ConsoleResourceError) -> ConsolePages {
        guard let resources = Bundle.module.resourceURL else {
            throw ConsoleResourceError(message: "the console's resource bundle has no resources folder")
        }
        return try ConsolePages(directory: resources.appendingPathComponent("console"))
    }

    /// Every template and the stylesheet from `directory`; a missing or broken file is an error that names it.
    init(directory: URL) throws(ConsoleResourceError) {
        func read(_ name: String) throws(ConsoleResourceError) -> String {
            let file = directory.appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: file.path) else {
                throw ConsoleResourceError(
                    message: "the console's \(name) is missing: \(file.path) (the ReconServer resource bundle must "
                        + "sit beside the binary)")
            }
            // The file's last newline is the editor's, not the page's.
            let text = String(decoding: data, as: UTF8.self)
            return text.hasSuffix("\n") ? String(text.dropLast()) : text
        }
        var library = MustacheLibrary()
        for template in Template.allCases {
            let name = template.rawValue + ".mustache"
            let text = try read(name)
            do {
                try library.register(text, named: template.rawValue)
            } catch {
                throw ConsoleResourceError(message: "the console's \(name) is not a valid template: \(error)")
            }
        }
        self.library = library
        self.stylesheet = ByteBuffer(string: try read("console.css"))
    }

    /// A page inside the layout.
    func render<Page: ConsolePage>(_ layout: ConsoleLayout<Page>) -> String {
        library.render(layout, withTemplate: Template.layout.rawValue) ?? ""
    }
}

/// The console's templates or stylesheet could not be read when the server started.
public struct ConsoleResourceError: Error, Sendable, CustomStringConvertible {
    /// What is missing or broken, with the file's path.
    public var message: String
    public var description: String { message }
}

/// Where an installed binary finds the console's templates: SwiftPM's resource bundle of this module, which must sit
/// in the executable's own folder (a release installs it there; `doctor` checks it).
public enum ConsoleResources {
    /// The bundle's folder name (SwiftPM names it `PACKAGE_TARGET.resources`).
    public static let bundleName = "mpesa-recon_ReconServer.resources"

    /// The bundle beside the running executable, when it holds the console's templates; nil when it is missing (the
    /// console would then fail to start).
    public static func besideExecutable() -> URL? {
        let bundle = Bundle.main.bundleURL.appendingPathComponent(bundleName)
        let layout = bundle.appendingPathComponent("console/\(ConsolePages.Template.layout.rawValue).mustache")
        return FileManager.default.isReadableFile(atPath: layout.path) ? bundle : nil
    }
}
