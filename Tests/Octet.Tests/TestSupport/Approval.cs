using System.Runtime.CompilerServices;
using Xunit;

namespace Octet.Tests;

/// <summary>
/// Snapshot ("approval") testing for generated code. The approved text of snapshot <c>Name</c> is
/// <c>Name.verified.cs</c>, committed next to the test's source file. A run that produces different text
/// writes it to <c>Name.received.cs</c> beside it and fails with the first differing lines; a run that
/// matches deletes a stale <c>.received.cs</c>. To accept changes, review the received files (or the diff)
/// and either rename them over the verified ones, or run the tests with <c>OCTET_ACCEPT_SNAPSHOTS=1</c>,
/// which writes every snapshot as verified. Line ends are compared as <c>\n</c>.
/// </summary>
public static class Approval
{
    public const string AcceptVariable = "OCTET_ACCEPT_SNAPSHOTS";

    public static bool Accepting => Environment.GetEnvironmentVariable(AcceptVariable) == "1";

    /// <summary>Compares <paramref name="actual"/> with the approved snapshot <paramref name="name"/> in the calling test's folder.</summary>
    public static void Verify(string actual, string name, [CallerFilePath] string callerPath = "")
    {
        string folder = Path.GetDirectoryName(callerPath) ?? throw new InvalidOperationException("the caller's source path is unknown");
        VerifyFiles(actual, Path.Combine(folder, name + ".verified.cs"), Path.Combine(folder, name + ".received.cs"));
    }

    /// <summary>As <see cref="Verify(string, string, string)"/> with explicit file paths.</summary>
    public static void VerifyFiles(string actual, string verifiedPath, string receivedPath)
    {
        actual = Normalize(actual);
        if (Accepting)
        {
            File.WriteAllText(verifiedPath, actual);
            File.Delete(receivedPath);
            return;
        }
        if (!File.Exists(verifiedPath))
        {
            File.WriteAllText(receivedPath, actual);
            Assert.Fail($"no approved snapshot {Path.GetFileName(verifiedPath)}; the output is in {receivedPath}. " +
                        $"Review it, then rename it to .verified.cs or rerun with {AcceptVariable}=1.");
        }
        string expected = Normalize(File.ReadAllText(verifiedPath));
        if (expected == actual)
        {
            File.Delete(receivedPath);
            return;
        }
        File.WriteAllText(receivedPath, actual);
        Assert.Fail($"{Path.GetFileName(verifiedPath)} differs from the output (written to {receivedPath}); " +
                    $"accept with {AcceptVariable}=1 if the change is intended.\n" + ApprovalDiff.FirstDifference(expected, actual));
    }

    private static string Normalize(string text) => text.Replace("\r\n", "\n");
}
