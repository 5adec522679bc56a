// renkei: the office client's (and the auditor's) command line. Argument parsing only; the work is one call
// into a library (RenkeiOffice, RenkeiClient, CarePlanStandard).
import ArgumentParser
import Foundation
import RenkeiClient
import RenkeiModel
import RenkeiOffice

// Exit statuses: see `renkei --help` (ProgramError.ExitStatus); ArgumentParser's usage errors end with 2.
/// Runs a command's async `run` (on an existential, Swift would pick the synchronous one).
func runAsync(_ command: some AsyncParsableCommand) async throws {
    var command = command
    try await command.run()
}

do {
    var command = try RenkeiCommand.parseAsRoot()
    if let command = command as? any AsyncParsableCommand { try await runAsync(command) } else { try command.run() }
} catch let code as ExitCode {
    exit(code.rawValue)
} catch let error as CleanExit {
    print(RenkeiCommand.fullMessage(for: error))
    exit(0)
} catch where error is ProgramError || error is RenkeiClientError {
    let (message, status) = ProgramOutput.failure(error)
    FileHandle.standardErrorWrite(message + "\n")
    exit(status.rawValue)
} catch {
    if RenkeiCommand.exitCode(for: error) == .success {
        print(RenkeiCommand.fullMessage(for: error))
        exit(0)
    }
    FileHandle.standardErrorWrite(RenkeiCommand.fullMessage(for: error) + "\n")
    exit(2)
}
