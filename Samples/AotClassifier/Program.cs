// Classifies the image stored with squeezenet1.0 (ImageNet, 1,000 classes) with the int8 model Octet
// compiled into this assembly, and prints the top-5 classes. Built with NativeAOT the executable has no
// model file, no native library and no JIT; the JIT build prints the same numbers (the lines up to
// "output sha256"; the last lines say how it ran and how long it took).
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Octet.Samples.AotClassifier;

string inputPath = args.Length > 0 ? args[0] : Path.Combine(AppContext.BaseDirectory, "Data", "squeezenet-input.pb");
float[] image = TensorFile.ReadFloats(inputPath, SqueezeNet.InputLength);
var probabilities = new float[SqueezeNet.OutputLength];

var model = new SqueezeNet();
model.Run(image, probabilities);

Console.WriteLine($"squeezenet1.0 int8 (integer-only) on {Path.GetFileName(inputPath)}: top-5 of {probabilities.Length} classes");
int[] order = Enumerable.Range(0, probabilities.Length).OrderByDescending(k => probabilities[k]).ThenBy(k => k).ToArray();
for (int rank = 0; rank < 5; rank++)
{
    int k = order[rank];
    Console.WriteLine($"  {rank + 1}. class {k,4}  probability {probabilities[k]:F6}  (bits {BitConverter.SingleToInt32Bits(probabilities[k]):x8})");
}
Console.WriteLine($"output sha256 {Convert.ToHexStringLower(SHA256.HashData(MemoryMarshal.AsBytes(probabilities.AsSpan())))}");

// Timing after a warm-up run, over a fixed number of runs.
const int runs = 20;
model.Run(image, probabilities);
var clock = Stopwatch.StartNew();
for (int i = 0; i < runs; i++) model.Run(image, probabilities);
clock.Stop();
using (var weights = Octet.Runtime.ModelWeights.FromResource(typeof(SqueezeNet).Assembly, SqueezeNet.WeightsResourceName, SqueezeNet.WeightsBytes))
{
    Console.WriteLine($"weights {weights.Length:N0} bytes, {(weights.Origin == Octet.Runtime.ModelWeightsOrigin.Resource ? "read in place from the executable" : "copied")} (start aligned to {weights.BaseAlignment} bytes)");
}
// The JIT compiles methods as they run; a NativeAOT executable has none to compile.
Console.WriteLine($"mode {(System.Runtime.JitInfo.GetCompiledMethodCount() > 0 ? "JIT" : "NativeAOT")}, {RuntimeInformation.FrameworkDescription}");
Console.WriteLine($"time {clock.Elapsed.TotalMilliseconds / runs:F2} ms/inference (1 thread, {runs} runs)");
