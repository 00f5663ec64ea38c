// ES module entry: the CommonJS build, re-exported by name (one copy of each class, so `instanceof` holds across both).
import client from '../dist/cjs/index.js';

export const { Willow, WillowError, isTransient, call, callWithResponse, backoffDelay, ackErrorText, ACK_ERROR_MAX_BYTES } = client;
export default client;
