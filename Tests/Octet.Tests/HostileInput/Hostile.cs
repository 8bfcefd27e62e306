using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;
using Octet.Tests.FrontEnd;
using Xunit;

namespace Octet.Tests.HostileInput;

/// <summary>
/// Runs front-end work on hostile input the way the tests need it: on its own thread under a time limit
/// (a hang must fail the test, not stall the run), with every exception captured for inspection.
/// </summary>
internal static class Hostile
{
    /// <summary>Generous for a 2-core machine shared with other tests; anything honest takes milliseconds.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    /// <summary>Runs <paramref name="work"/>; returns whether it finished in time and what it threw.</summary>
    public static (bool Finished, Exception? Error) Run(Action work, TimeSpan? timeout = null)
    {
        Exception? error = null;
        // A thread of the default size, so that recursion too deep for ordinary use shows up here too.
        var thread = new Thread(() =>
        {
            try { work(); }
            catch (Exception e) { error = e; }
        }) { IsBackground = true, Name = "hostile-input" };
        thread.Start();
        // A thread still running after the limit is abandoned: it cannot be stopped, and being in the
        // background it will not keep the test process alive.
        return thread.Join(timeout ?? Timeout) ? (true, error) : (false, null);
    }

    /// <summary>Loads the model under the time limit; it must fail with an OctetException that mentions each of <paramref name="mentions"/>.</summary>
    public static OctetException ExpectRejection(string path, LoadOptions? options = null, params string[] mentions)
    {
        var (finished, error) = Run(() => OnnxModelLoader.Load(path, options ?? new LoadOptions()));
        Assert.True(finished, $"loading {path} did not finish within {Timeout.TotalSeconds} s");
        Assert.True(error is not null, $"loading {path} succeeded but should have been rejected");
        var octet = Assert.IsType<OctetException>(error, exactMatch: true);
        foreach (var mention in mentions)
            Assert.True(octet.Message.Contains(mention, StringComparison.Ordinal),
                $"message does not mention \"{mention}\": {octet.Message}");
        return octet;
    }

    public static OctetException ExpectRejection(OnnxModelBuilder model, params string[] mentions)
    {
        using var folder = new TempFolder();
        return ExpectRejection(model.Save(folder.Path), null, mentions);
    }

    public static OctetException ExpectRejection(byte[] bytes, params string[] mentions)
    {
        using var folder = new TempFolder();
        var path = folder.File("model.onnx");
        File.WriteAllBytes(path, bytes);
        return ExpectRejection(path, null, mentions);
    }

    /// <summary>Loads under the time limit; success and OctetException are both fine, anything else fails the test.</summary>
    public static ModelGraph? LoadOrReject(string path, string what)
    {
        ModelGraph? graph = null;
        var (finished, error) = Run(() => graph = OnnxModelLoader.Load(path));
        Assert.True(finished, $"{what}: loading did not finish within {Timeout.TotalSeconds} s");
        if (error is not null and not OctetException)
            Assert.Fail($"{what}: {error.GetType().Name} instead of an OctetException: {error}");
        return graph;
    }
}
