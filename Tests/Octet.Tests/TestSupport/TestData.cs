namespace Octet.Tests.TestSupport;

/// <summary>Paths into the repository's test data (<c>Tests/Data</c>), found from the test binary's folder.</summary>
public static class TestData
{
    public static string RepositoryRoot => RepoPaths.Root;
    public static string Folder => Path.Combine(RepositoryRoot, "Tests", "Data");
    public static string NodeCases => Path.Combine(Folder, "onnx-node");
    public static string Model(string name) => Path.Combine(Folder, "models", name, "model.onnx");
    public static string ModelFolder(string name) => Path.Combine(Folder, "models", name);
    public static string Synthetic(string file) => Path.Combine(Folder, "models", "ort-synthetic", file);
}
