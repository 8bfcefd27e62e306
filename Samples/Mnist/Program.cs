// Runs the MNIST CNN (mnist-8) over 10,000 labelled digits with Octet's float32 reference executor and
// with ONNX Runtime side by side, and prints each one's top-1 accuracy, how often they agree, and the time
// per inference. It also runs the int8 plan (the committed quantization config, integer-only numerics)
// through the integer reference executor. Later issues replace the reference executors with generated code.
using System.Diagnostics;
using Octet.Compiler.Data;
using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;
using Octet.Compiler.Quantization;
using Octet.Compiler.Quantization.Config;
using Octet.Compiler.Quantization.Lowering;
using Octet.Compiler.Reference;
using Octet.OnnxRuntime;

var root = AppContext.BaseDirectory;
var modelPath = Path.Combine(root, "Data", "mnist-8.onnx");
var (imageDims, pixels) = IdxFile.Read(Path.Combine(root, "Data", "mnist-10k-images-idx3-ubyte"));
var (_, labels) = IdxFile.Read(Path.Combine(root, "Data", "mnist-10k-labels-idx1-ubyte"));
int count = args.Length > 0 ? int.Parse(args[0]) : imageDims[0];
int imageSize = imageDims[1] * imageDims[2];

var graph = OnnxModelLoader.Load(modelPath);
var executor = new ReferenceExecutor(graph);
var inputName = graph.Inputs[0];
var outputName = graph.Outputs[0];
var inputShape = graph.Tensor(inputName).Shape;

// The int8 plan: the committed config (calibrated on the first 1,000 digits) applied and lowered.
var config = QuantizationConfig.Load(Path.Combine(root, "Data", "mnist-8.quant.json"), graph);
var plan = IntegerLowering.Lower(QdqQuantizer.Apply(graph, config.ToRequest()), NumericsMode.IntegerOnly);
var int8 = new ReferenceExecutor(plan);

using var options = new SessionOptions { IntraOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
using var session = new InferenceSession(modelPath, options);

int octetCorrect = 0, ortCorrect = 0, agree = 0, int8Correct = 0;
var octetClock = new Stopwatch();
var int8Clock = new Stopwatch();
var ortClock = new Stopwatch();
for (int i = 0; i < count; i++)
{
    // The model was trained on pixels scaled to 0..1.
    var image = new float[imageSize];
    for (int p = 0; p < imageSize; p++) image[p] = pixels[i * imageSize + p] / 255f;

    octetClock.Start();
    var octetLogits = executor.Run(new Dictionary<string, Tensor> { [inputName] = Tensor.Create(inputShape, image) })[outputName].As<float>();
    octetClock.Stop();

    ortClock.Start();
    var ortLogits = session.Run([NamedOnnxValue.CreateFromTensor(inputName, image, inputShape.ToLongArray())])[0].AsArray<float>();
    ortClock.Stop();

    int8Clock.Start();
    var int8Logits = int8.Run(new Dictionary<string, Tensor> { [inputName] = Tensor.Create(inputShape, image) })[outputName].As<float>();
    int8Clock.Stop();
    if (ArgMax(int8Logits) == labels[i]) int8Correct++;

    int octetClass = ArgMax(octetLogits), ortClass = ArgMax(ortLogits);
    if (octetClass == labels[i]) octetCorrect++;
    if (ortClass == labels[i]) ortCorrect++;
    if (octetClass == ortClass) agree++;
}

Console.WriteLine($"mnist-8 on {count:N0} digits (float32)");
Console.WriteLine($"  ONNX Runtime {OrtEnv.OnnxRuntimeVersion}:          top-1 {100.0 * ortCorrect / count:F2} %   {ortClock.Elapsed.TotalMicroseconds / count,8:F1} us/inference (1 thread)");
Console.WriteLine($"  Octet reference executor:     top-1 {100.0 * octetCorrect / count:F2} %   {octetClock.Elapsed.TotalMicroseconds / count,8:F1} us/inference");
Console.WriteLine($"  same predicted class:         {agree:N0} of {count:N0}");
Console.WriteLine($"mnist-8 int8 (config calibrated on the first 1,000 digits, integer-only numerics)");
Console.WriteLine($"  Octet integer reference:      top-1 {100.0 * int8Correct / count:F2} %   {int8Clock.Elapsed.TotalMicroseconds / count,8:F1} us/inference");
return octetCorrect == ortCorrect && agree == count ? 0 : 1;

static int ArgMax(float[] values)
{
    int best = 0;
    for (int k = 1; k < values.Length; k++) if (values[k] > values[best]) best = k;
    return best;
}
