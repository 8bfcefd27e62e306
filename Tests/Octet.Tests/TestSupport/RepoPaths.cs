using System.Runtime.CompilerServices;

namespace Octet.Tests;

/// <summary>
/// Locates the repository (the folder holding <c>Compiler.sln</c>) and its test data. The test binaries
/// usually sit inside the repository, but a build with <c>--artifacts-path</c> puts them elsewhere; then
/// the location of this source file, recorded by the compiler, still leads to the repository.
/// </summary>
public static class RepoPaths
{
    private static readonly Lazy<string> root = new(FindRoot);

    public static string Root => root.Value;

    /// <summary><c>Tests/Data</c>.</summary>
    public static string TestData => Path.Combine(Root, "Tests", "Data");

    /// <summary>A path under <c>Tests/Data</c>, e.g. <c>TestDataFile("models", "mnist-8", "model.onnx")</c>.</summary>
    public static string TestDataFile(params string[] parts) => Path.Combine([TestData, .. parts]);

    private static string FindRoot()
    {
        string[] starts = [AppContext.BaseDirectory, Path.GetDirectoryName(ThisSourceFile()) ?? "", Environment.CurrentDirectory];
        foreach (string start in starts)
        {
            for (var dir = new DirectoryInfo(start); dir is { Exists: true }; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Compiler.sln")))
                    return dir.FullName;
            }
        }
        throw new InvalidOperationException($"no folder containing Compiler.sln above any of: {string.Join(", ", starts)}");
    }

    private static string ThisSourceFile([CallerFilePath] string path = "") => path;
}
