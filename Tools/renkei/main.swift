// renkei: the office client's command line. Argument parsing only; the work is one call into a library.
import ArgumentParser
import Foundation

// Exit status: 0 no errors, 1 errors found, 2 usage errors (ArgumentParser's own usage code is 64).
do {
    var command = try RenkeiCommand.parseAsRoot()
    try command.run()
} catch let code as ExitCode {
    exit(code.rawValue)
} catch {
    let status = RenkeiCommand.exitCode(for: error)
    if status == .success {
        print(RenkeiCommand.fullMessage(for: error))
        exit(0)
    }
    FileHandle.standardErrorWrite(RenkeiCommand.fullMessage(for: error) + "\n" + "Usage: renkei check [--json] [--lang ja|en|both] FILE…\n")
    exit(2)
}
