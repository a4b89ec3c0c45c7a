import type { ServiceSlug } from '../catalog.js';
import type { ServiceModule } from '../platform/service.js';
import { aiInsightsService } from './ai-insights/index.js';
import { authService } from './auth/index.js';
import { deviceDataService } from './device-data/index.js';
import { healthTrackingService } from './health-tracking/index.js';
import { medicalRecordsService } from './medical-records/index.js';
import { nutritionService } from './nutrition/index.js';
import { userProfileService } from './user-profile/index.js';

/** The built services' modules, by slug. The gateway is assembled by the runtime, not listed here. */
export const SERVICE_MODULES: Partial<Record<ServiceSlug, ServiceModule>> = {
  auth: authService,
  'user-profile': userProfileService,
  'health-tracking': healthTrackingService,
  'device-data': deviceDataService,
  'medical-records': medicalRecordsService,
  nutrition: nutritionService,
  'ai-insights': aiInsightsService,
};
