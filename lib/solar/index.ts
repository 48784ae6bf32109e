/** Solar charging: surplus from the meter (surplus.ts), its tuning (config.ts) and the limit source (source.ts). */
export { DEFAULT_SOLAR_CONFIG, validateSolarConfig, type SolarConfig } from './config';
export { describeMeterSign, MeterSignDetector, surplusOf, usableW, type MeterSign, type MeterSignSetting, type Surplus } from './surplus';
export { SolarLimitSource, type SolarLimitOptions, type SolarState, type SolarStatus } from './source';
