// Flag groups shared by the commands: each declared once with a pure, typed reader (see group.ts).

export { pickFlags, requiredFlags, withDefaults, withoutDefaults } from "./group.ts";
export { CORPUS_FLAGS, readCorpus } from "./corpus.ts";
export { MODEL_FLAGS, readModel, type ModelFolder } from "./model.ts";
export { DEVICE_FLAGS, DEVICES, readDevice, type DeviceConfig } from "./device.ts";
export { SAMPLING_FLAGS, readSampling, type SamplingConfig } from "./sampling.ts";
export { OPTIMISER_FLAGS, SCHEDULES, readOptimiser, type OptimiserConfig } from "./optimiser.ts";
export { LORA_FLAGS, readLora, type LoraConfig } from "./lora.ts";
export { RUN_FOLDER_FLAGS, readRunFolder, type RunFolderConfig } from "./run-folder.ts";
