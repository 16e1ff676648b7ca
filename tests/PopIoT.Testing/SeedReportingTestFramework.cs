using System.Reflection;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace PopIoT.Testing;

/// <summary>
/// xunit's framework with one addition: every failure message ends with the run's random seed
/// (<see cref="SeededRandomSource.Describe"/>), so a failure on a varied seed can be reproduced. A test project
/// selects it with <c>[assembly: Xunit.TestFramework("PopIoT.Testing.SeedReportingTestFramework", "PopIoT.Testing")]</c>.
/// </summary>
public sealed class SeedReportingTestFramework(IMessageSink messageSink) : XunitTestFramework(messageSink)
{
    /// <inheritdoc/>
    protected override ITestFrameworkExecutor CreateExecutor(AssemblyName assemblyName) =>
        new Executor(assemblyName, SourceInformationProvider, DiagnosticMessageSink);

    private sealed class Executor(AssemblyName assemblyName, ISourceInformationProvider sourceInformationProvider, IMessageSink diagnosticMessageSink)
        : XunitTestFrameworkExecutor(assemblyName, sourceInformationProvider, diagnosticMessageSink)
    {
        protected override void RunTestCases(IEnumerable<IXunitTestCase> testCases, IMessageSink executionMessageSink, ITestFrameworkExecutionOptions executionOptions) =>
            base.RunTestCases(testCases, new SeedOnFailure(executionMessageSink), executionOptions);
    }

    private sealed class SeedOnFailure(IMessageSink inner) : IMessageSink
    {
        public bool OnMessage(IMessageSinkMessage message)
        {
            if (message is ITestFailed failed && failed.Messages.Length > 0)
            {
                string[] messages = (string[])failed.Messages.Clone();
                messages[0] += Environment.NewLine + SeededRandomSource.Describe();
                message = new TestFailed(failed.Test, failed.ExecutionTime, failed.Output, failed.ExceptionTypes, messages, failed.StackTraces, failed.ExceptionParentIndices);
            }

            return inner.OnMessage(message);
        }
    }
}
